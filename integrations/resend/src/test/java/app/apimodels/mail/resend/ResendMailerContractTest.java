package app.apimodels.mail.resend;

import app.apimodels.spi.mail.Mailer;
import app.apimodels.spi.mail.MailerConfig;
import app.apimodels.testkit.MailInbox;
import app.apimodels.testkit.MockResend;
import app.apimodels.testkit.NetworkMailerContract;
import org.junit.jupiter.api.AfterAll;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;

/** The mailer contract against a local server speaking Resend's API. */
class ResendMailerContractTest extends NetworkMailerContract {

    static final String API_KEY = "re_test_" + "Zq8sP2vLk4mN7xR1";
    static final String FROM = SENDER;

    private final MockResend resend = new MockResend(API_KEY);
    private final Mailer mailer = mailer(resend.apiBase(), API_KEY);

    @AfterAll
    void stop() {
        resend.close();
    }

    @Override
    protected MailInbox inbox() {
        return resend;
    }

    @Override
    protected Mailer mailer() {
        return mailer;
    }

    @Override
    protected Mailer mailerWithWrongCredentials() {
        return mailer(resend.apiBase(), "re_wrong_" + API_KEY);
    }

    @Override
    protected Mailer mailerForUnreachableServer() {
        try (ServerSocket socket = new ServerSocket(0)) {
            return mailer("http://127.0.0.1:" + socket.getLocalPort(), API_KEY);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    protected Set<String> secrets() {
        return Set.of(API_KEY);
    }

    static Mailer mailer(String apiBase, String apiKey) {
        return mailer(apiBase, apiKey, Map.of());
    }

    static Mailer mailer(String apiBase, String apiKey, Map<String, String> more) {
        Map<String, String> options = new HashMap<>(Map.of("api-key", apiKey, "api-base", apiBase, "from", SENDER,
                "timeout-seconds", "5"));
        options.putAll(more);
        return new ResendMailerFactory().create(new MailerConfig("resend", options));
    }
}
