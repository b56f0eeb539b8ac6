package app.apimodels.mail.smtp;

import app.apimodels.spi.mail.Mailer;
import app.apimodels.spi.mail.MailerConfig;
import app.apimodels.testkit.EmlFolderInbox;
import app.apimodels.testkit.MailInbox;
import app.apimodels.testkit.MailerContract;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;

/** The mailer contract for the .eml outbox folder, read back with Jakarta Mail. */
class EmlOutboxMailerContractTest extends MailerContract {

    private final Path dir = temporaryFolder();
    private final EmlFolderInbox inbox = new EmlFolderInbox(dir);
    private final Mailer mailer = new EmlOutboxMailerFactory().create(new MailerConfig("outbox",
            Map.of("dir", dir.toString(), "from", SENDER)));

    private static Path temporaryFolder() {
        try {
            return Files.createTempDirectory("apimodels-outbox");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    protected MailInbox inbox() {
        return inbox;
    }

    @Override
    protected Mailer mailer() {
        return mailer;
    }

    @Override
    protected Set<String> secrets() {
        return Set.of();
    }
}
