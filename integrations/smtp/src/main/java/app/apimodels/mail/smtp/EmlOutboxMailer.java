package app.apimodels.mail.smtp;

import app.apimodels.spi.mail.MailMessage;
import app.apimodels.spi.mail.Mailer;
import app.apimodels.spi.mail.SendResult;
import jakarta.mail.MessagingException;
import jakarta.mail.Session;
import jakarta.mail.internet.InternetAddress;
import jakarta.mail.internet.MimeMessage;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Properties;
import java.util.UUID;

/**
 * Delivers into a folder: each message becomes one RFC 5322 {@code .eml} file (exactly what SMTP
 * would carry), which any mail program opens. A message with an idempotency key always gets the
 * same file name, so a retried message is written once. Files appear whole: written beside the
 * target, then moved into place.
 */
final class EmlOutboxMailer implements Mailer {

    private final Path dir;
    private final MimeWriter writer;

    EmlOutboxMailer(Path dir, InternetAddress from) {
        this.dir = dir;
        Properties properties = new Properties();
        properties.putAll(MimeWriter.properties());
        this.writer = new MimeWriter(Session.getInstance(properties), from, null);
    }

    @Override
    public String type() {
        return "outbox";
    }

    @Override
    public SendResult send(MailMessage message) {
        MimeMessage mime = writer.write(message);
        String name = (message.idempotencyKey() == null ? UUID.randomUUID().toString() : MimeWriter.keyHash(message.idempotencyKey()))
                + ".eml";
        Path target = dir.resolve(name);
        if (Files.exists(target)) {
            return SendResult.accepted(name);
        }
        Path partial = dir.resolve("." + name + "." + UUID.randomUUID() + ".part");
        try {
            try (OutputStream out = Files.newOutputStream(partial)) {
                mime.writeTo(out);
            }
            Files.move(partial, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            return SendResult.accepted(name);
        } catch (IOException | MessagingException e) {
            try {
                Files.deleteIfExists(partial);
            } catch (IOException ignored) {
                // the refusal below says what matters
            }
            // A full disk or a permission change may pass: worth another try.
            return SendResult.refused("could not write the message into the outbox folder " + dir
                    + " (" + e.getClass().getSimpleName() + ")", true);
        }
    }

    @Override
    public String toString() {
        return "EmlOutboxMailer[" + dir + "]";
    }
}
