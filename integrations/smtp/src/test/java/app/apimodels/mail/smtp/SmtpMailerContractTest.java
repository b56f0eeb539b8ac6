package app.apimodels.mail.smtp;

import app.apimodels.spi.mail.Mailer;
import app.apimodels.spi.mail.MailerConfig;
import app.apimodels.testkit.GreenMailInbox;
import app.apimodels.testkit.MailInbox;
import app.apimodels.testkit.NetworkMailerContract;
import org.junit.jupiter.api.AfterAll;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;

/** The mailer contract against a real SMTP server in the JVM (GreenMail). */
class SmtpMailerContractTest extends NetworkMailerContract {

    static final String USERNAME = "apimodels-smtp";
    static final String PASSWORD = "s3cret-Smtp-Pa55word";

    private final GreenMailInbox inbox = new GreenMailInbox(USERNAME, PASSWORD);
    private final Mailer mailer = mailer(inbox.port(), PASSWORD);

    @AfterAll
    void stopTheServer() {
        inbox.close();
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
    protected Mailer mailerWithWrongCredentials() {
        return mailer(inbox.port(), "not-the-" + PASSWORD);
    }

    @Override
    protected Mailer mailerForUnreachableServer() {
        try (ServerSocket socket = new ServerSocket(0)) {
            return mailer(socket.getLocalPort(), PASSWORD);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    protected Set<String> secrets() {
        return Set.of(PASSWORD);
    }

    /** GreenMail speaks plain SMTP here, so STARTTLS is switched off; its own test covers it on. */
    static Mailer mailer(int port, String password) {
        return mailer(port, password, Map.of("starttls", "false"));
    }

    static Mailer mailer(int port, String password, Map<String, String> more) {
        Map<String, String> options = new HashMap<>(Map.of("host", "127.0.0.1", "port", Integer.toString(port),
                "username", USERNAME, "password", password, "from", SENDER, "timeout-seconds", "5"));
        options.putAll(more);
        return new SmtpMailerFactory().create(new MailerConfig("smtp", options));
    }
}
