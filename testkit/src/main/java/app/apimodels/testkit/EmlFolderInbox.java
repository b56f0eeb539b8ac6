package app.apimodels.testkit;

import jakarta.mail.Message;
import jakarta.mail.MessagingException;
import jakarta.mail.Session;
import jakarta.mail.internet.MimeMessage;
import org.awaitility.Awaitility;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Properties;
import java.util.stream.Stream;

/**
 * The {@link MailInbox} of a mailer that writes each message as an {@code .eml} file into a folder
 * (the quickstart's outbox): reads the files back with Jakarta Mail, oldest first. The recipients
 * of a file are its {@code To} and {@code Cc} addresses.
 */
public final class EmlFolderInbox implements MailInbox {

    private final Path dir;

    public EmlFolderInbox(Path dir) {
        this.dir = dir;
    }

    public Path dir() {
        return dir;
    }

    /** The {@code .eml} files now in the folder, oldest first. */
    public List<Path> files() {
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (Stream<Path> listing = Files.list(dir)) {
            return listing.filter(p -> p.getFileName().toString().endsWith(".eml"))
                    .sorted(Comparator.comparing(EmlFolderInbox::modified).thenComparing(Path::toString)).toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public List<ReceivedMail> awaitMessages(int count) {
        Awaitility.await().atMost(Duration.ofSeconds(Conditions.WAIT_SECONDS)).until(() -> files().size() >= count);
        List<ReceivedMail> messages = new ArrayList<>();
        for (Path file : files()) {
            messages.add(read(file));
        }
        return messages;
    }

    /** One file, decoded. */
    public static ReceivedMail read(Path file) {
        try (InputStream in = Files.newInputStream(file)) {
            MimeMessage message = new MimeMessage(Session.getInstance(new Properties()), in);
            List<String> recipients = new ArrayList<>(MimeMail.addresses(message.getRecipients(Message.RecipientType.TO)));
            recipients.addAll(MimeMail.addresses(message.getRecipients(Message.RecipientType.CC)));
            return MimeMail.read(message, recipients);
        } catch (IOException | MessagingException e) {
            throw new AssertionError("not a readable .eml file: " + file, e);
        }
    }

    @Override
    public void clear() {
        for (Path file : files()) {
            try {
                Files.deleteIfExists(file);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }

    private static java.nio.file.attribute.FileTime modified(Path file) {
        try {
            return Files.getLastModifiedTime(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
