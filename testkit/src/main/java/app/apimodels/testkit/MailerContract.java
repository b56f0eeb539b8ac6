package app.apimodels.testkit;

import app.apimodels.spi.mail.MailMessage;
import app.apimodels.spi.mail.Mailer;
import app.apimodels.spi.mail.SendResult;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What every {@link Mailer} must do: a message arrives as sent (sender, recipients, reply-to,
 * subject, text and HTML, any Unicode), several recipients each get it, concurrent sends all go
 * out, and nothing secret is in its description. Mailers that talk to a mail service extend
 * {@link NetworkMailerContract}, which adds refused logins and unreachable servers.
 *
 * <p>Extend it with the mailer pointed at {@link #inbox()}: a {@link GreenMailInbox} for mailers
 * that speak SMTP, {@link MockResend} for Resend, an {@link EmlFolderInbox} for a mailer that
 * writes files, or the implementation's own fake of its mail API. The mailer under test must have
 * been created with {@link #SENDER} as its default sender.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
public abstract class MailerContract {

    /** The default sender the mailer under test is configured with. */
    protected static final String SENDER = "noreply@apimodels.test";

    /** Where {@link #mailer()} delivers. */
    protected abstract MailInbox inbox();

    /** The mailer under test, delivering into {@link #inbox()}, with {@link #SENDER} as its default sender. */
    protected abstract Mailer mailer();

    /** The credentials the mailers were created with; no error may contain one. */
    protected abstract Set<String> secrets();

    @BeforeEach
    void emptyTheInbox() {
        inbox().clear();
    }

    @Test
    void aTextMessageArrivesAsSent() {
        SendResult result = mailer().send(new MailMessage("Apimodels <billing@apimodels.test>", List.of("alice@example.test"),
                "Your receipt", "Hello Alice,\nyou bought 20 credits.", null, Map.of("kind", "receipt"), null, "receipt-1"));

        assertAccepted(result);
        ReceivedMail mail = single();
        assertThat(mail.from()).isEqualTo("billing@apimodels.test");
        assertThat(mail.to()).containsExactly("alice@example.test");
        assertThat(mail.subject()).isEqualTo("Your receipt");
        assertThat(lines(mail.text())).isEqualTo("Hello Alice,\nyou bought 20 credits.");
        assertThat(mail.html()).isNull();
    }

    @Test
    void textAndHtmlBothArrive() {
        assertAccepted(mailer().send(new MailMessage(null, List.of("bob@example.test"), "Verify your email",
                "Open https://example.test/v/123 to verify.", "<p>Open <a href=\"https://example.test/v/123\">this link</a>.</p>",
                Map.of(), null, null)));

        ReceivedMail mail = single();
        assertThat(lines(mail.text())).isEqualTo("Open https://example.test/v/123 to verify.");
        assertThat(lines(mail.html())).isEqualTo("<p>Open <a href=\"https://example.test/v/123\">this link</a>.</p>");
    }

    @Test
    void anHtmlOnlyMessageArrives() {
        assertAccepted(mailer().send(new MailMessage(null, List.of("carol@example.test"), "Policy update", null,
                "<h1>We updated our privacy policy</h1>", Map.of(), null, null)));

        ReceivedMail mail = single();
        assertThat(lines(mail.html())).isEqualTo("<h1>We updated our privacy policy</h1>");
        assertThat(mail.text()).isNull();
    }

    @Test
    void withoutASenderTheConfiguredOneSends() {
        assertAccepted(mailer().send(MailMessage.text("dave@example.test", "Hi", "Hello")));

        assertThat(single().from()).isEqualTo(SENDER);
    }

    @Test
    void nonAsciiSubjectAndBodiesRoundTrip() {
        String subject = "Grüße aus Köln — 你好，世界 ✓ 🎉 " + "ä".repeat(80);
        String text = "Ünïcödé body: 日本語のテキスト, emoji 😀, Ωmega\nzweite Zeile — " + "é".repeat(200);
        String html = "<p>Ünïcödé <b>日本語</b> 😀</p>";

        assertAccepted(mailer().send(new MailMessage(null, List.of("emile@example.test"), subject, text, html,
                Map.of(), null, null)));

        ReceivedMail mail = single();
        assertThat(mail.subject()).isEqualTo(subject);
        assertThat(lines(mail.text())).isEqualTo(text);
        assertThat(lines(mail.html())).isEqualTo(html);
    }

    @Test
    void everyRecipientGetsTheMessage() {
        List<String> recipients = List.of("one@example.test", "two@example.test", "three@example.org");

        assertAccepted(mailer().send(new MailMessage(null, recipients, "To all of you", "Hello all", null, Map.of(), null, null)));

        ReceivedMail mail = single();
        assertThat(mail.to()).containsExactlyElementsOf(recipients);
        assertThat(mail.deliveredTo()).containsExactlyInAnyOrderElementsOf(recipients);
    }

    @Test
    void repliesGoWhereTheMessageSays() {
        assertAccepted(mailer().send(new MailMessage(null, List.of("erin@example.test"), "Support", "How can we help?",
                null, Map.of(), "Support <support@apimodels.test>", null)));

        assertThat(single().replyTo()).isEqualTo("support@apimodels.test");
    }

    @Test
    void concurrentSendsAllGoOut() throws Exception {
        int count = 12;
        ExecutorService senders = Executors.newFixedThreadPool(4);
        try {
            List<CompletableFuture<SendResult>> sends = new ArrayList<>();
            for (int i = 0; i < count; i++) {
                MailMessage message = MailMessage.text("user" + i + "@example.test", "Message " + i, "Body " + i);
                sends.add(CompletableFuture.supplyAsync(() -> mailer().send(message), senders));
            }
            for (CompletableFuture<SendResult> send : sends) {
                assertAccepted(Conditions.await(send));
            }
        } finally {
            senders.shutdownNow();
        }

        assertThat(inbox().awaitMessages(count)).extracting(ReceivedMail::subject)
                .containsExactlyInAnyOrderElementsOf(java.util.stream.IntStream.range(0, count).mapToObj(i -> "Message " + i).toList());
    }

    @Test
    void theMailerIsNamedAndItsSecretsAreNotInItsDescription() {
        assertThat(mailer().type()).matches("[a-z0-9-]+");
        assertNoSecretIn(mailer().toString());
    }

    // ---- helpers --------------------------------------------------------------------------------

    protected static void assertAccepted(SendResult result) {
        assertThat(result.accepted()).as("accepted (error: %s)", result.error()).isTrue();
        assertThat(result.providerMessageId()).isNotBlank();
    }

    private ReceivedMail single() {
        List<ReceivedMail> messages = inbox().awaitMessages(1);
        assertThat(messages).hasSize(1);
        return messages.get(0);
    }

    /** Line endings as sent: SMTP carries CRLF, which the sender wrote as LF. */
    private static String lines(String body) {
        return body == null ? null : body.replace("\r\n", "\n");
    }

    protected void assertNoSecretIn(String text) {
        for (String secret : secrets()) {
            assertThat(text).doesNotContain(secret);
        }
    }
}
