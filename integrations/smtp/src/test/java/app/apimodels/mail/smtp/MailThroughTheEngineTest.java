package app.apimodels.mail.smtp;

import app.apimodels.core.ApiModels;
import app.apimodels.core.config.ConfigSource;
import app.apimodels.core.mail.Letter;
import app.apimodels.testkit.EmlFolderInbox;
import app.apimodels.testkit.GreenMailInbox;
import app.apimodels.testkit.ReceivedMail;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The engine with this module beside it, as the quickstart runs: with nothing configured, letters
 * become .eml files under {@code <data-dir>/outbox/}; with {@code apimodels.mail.type=smtp} they
 * reach an SMTP server (GreenMail).
 */
class MailThroughTheEngineTest {

    @TempDir
    Path dir;

    private ApiModels engine(Map<String, String> extra) {
        Map<String, String> settings = new HashMap<>(Map.of("apimodels.data-dir", dir.resolve("data").toString(),
                "apimodels.keys.pepper", "test-pepper-of-at-least-thirty-two-characters",
                "apimodels.jobs.poll-interval-ms", "50", "apimodels.mail.send-interval-ms", "50",
                "apimodels.brand", "Acme AI", "apimodels.public-url", "https://ai.acme.example"));
        settings.putAll(extra);
        return ApiModels.builder().config(ConfigSource.of(settings)).build();
    }

    private static Letter verify(String to) {
        return new Letter(to, "verify-email", Locale.ENGLISH, Map.of("link", "https://ai.acme.example/auth/verify-email?token=t1"),
                "verify:" + to);
    }

    @Test
    void byDefaultLettersAreWrittenAsEmlFilesInTheDataDirectory() {
        try (ApiModels engine = engine(Map.of())) {
            engine.outbox().queue(verify("alice@example.test"));
            engine.outbox().queue(verify("alice@example.test"));

            EmlFolderInbox outbox = new EmlFolderInbox(dir.resolve("data").resolve("outbox"));
            List<ReceivedMail> mail = outbox.awaitMessages(1);
            assertThat(mail).singleElement().satisfies(m -> {
                assertThat(m.from()).isEqualTo("noreply@localhost");
                assertThat(m.to()).containsExactly("alice@example.test");
                assertThat(m.subject()).isEqualTo("Confirm your email address for Acme AI");
                assertThat(m.text()).contains("https://ai.acme.example/auth/verify-email?token=t1");
                assertThat(m.html()).contains("<a href=\"https://ai.acme.example/auth/verify-email?token=t1\"");
            });
        }
    }

    @Test
    void withTypeSmtpLettersReachTheSmtpServer() {
        try (GreenMailInbox smtp = new GreenMailInbox("apimodels", "smtp-Pa55word-for-test");
             ApiModels engine = engine(Map.of("apimodels.mail.type", "smtp", "apimodels.mail.host", smtp.host(),
                     "apimodels.mail.port", Integer.toString(smtp.port()), "apimodels.mail.username", smtp.username(),
                     "apimodels.mail.password", smtp.password(), "apimodels.mail.starttls", "false",
                     "apimodels.mail.from", "Acme AI <noreply@acme.example>"))) {
            engine.outbox().queue(new Letter("bob@example.test", "receipt", Locale.SIMPLIFIED_CHINESE,
                    Map.of("order_id", "ord_7", "amount", "10.00", "currency", "CNY", "credits", "1.38"), null));

            await().atMost(Duration.ofSeconds(15)).until(() -> !smtp.receivedCopies().isEmpty());
            ReceivedMail mail = smtp.awaitMessages(1).get(0);
            assertThat(mail.from()).isEqualTo("noreply@acme.example");
            assertThat(mail.deliveredTo()).containsExactly("bob@example.test");
            assertThat(mail.subject()).isEqualTo("您在 Acme AI 的订单 ord_7 收据");
            assertThat(mail.text()).contains("支付：10.00 CNY");
        }
    }
}
