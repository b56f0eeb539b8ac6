package app.apimodels.mail.smtp;

import app.apimodels.spi.mail.Mailer;
import app.apimodels.spi.mail.MailerConfig;
import app.apimodels.spi.mail.MailerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;

/**
 * The {@code outbox} mailer type ({@code apimodels.mail.type=outbox}, the quickstart's default):
 * nothing leaves the machine; each message is an {@code .eml} file in a folder. Settings, as
 * {@code apimodels.mail.<name>}: {@code dir} (the folder; the engine passes
 * {@code <data-dir>/outbox} unless it is set) and {@code from} (the default sender, default
 * {@code noreply@localhost}).
 */
public final class EmlOutboxMailerFactory implements MailerFactory {

    @Override
    public String type() {
        return "outbox";
    }

    @Override
    public Mailer create(MailerConfig config) {
        Path dir;
        try {
            dir = Path.of(config.require("dir")).toAbsolutePath();
            Files.createDirectories(dir);
        } catch (InvalidPathException | IOException e) {
            throw new IllegalArgumentException("apimodels.mail.dir: cannot make the outbox folder " + config.options().get("dir"), e);
        }
        if (!Files.isWritable(dir)) {
            throw new IllegalArgumentException("apimodels.mail.dir: the outbox folder " + dir + " is not writable");
        }
        return new EmlOutboxMailer(dir, MimeWriter.address("apimodels.mail.from", config.option("from").orElse("noreply@localhost")));
    }
}
