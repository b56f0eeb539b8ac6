package app.apimodels.mail.resend;

import app.apimodels.spi.mail.MailMessage;
import app.apimodels.spi.mail.Mailer;
import app.apimodels.spi.mail.MailerConfig;
import app.apimodels.spi.mail.MailerFactory;
import app.apimodels.spi.mail.SendResult;
import app.apimodels.testkit.MockResend;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;

import static app.apimodels.mail.resend.ResendMailerContractTest.API_KEY;
import static app.apimodels.mail.resend.ResendMailerContractTest.mailer;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Resend's wire details: idempotency, tags, and which refusals a retry can change. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ResendMailerTest {

    private final MockResend resend = new MockResend(API_KEY);
    private final Mailer mailer = mailer(resend.apiBase(), API_KEY);

    @BeforeEach
    void empty() {
        resend.clear();
    }

    @AfterAll
    void stop() {
        resend.close();
    }

    private static MailMessage keyed(String key) {
        return new MailMessage(null, List.of("alice@example.test"), "Verify", "text", "<p>html</p>",
                Map.of("template", "verify-email"), null, key);
    }

    @Test
    void theFactoryIsFoundByItsType() {
        assertThat(ServiceLoader.load(MailerFactory.class).stream().map(ServiceLoader.Provider::get)
                .filter(f -> f.type().equals("resend")).findFirst()).get().isInstanceOf(ResendMailerFactory.class);
    }

    @Test
    void aRetryWithTheSameKeyIsSentOnceAndAnswersTheSameId() {
        SendResult first = mailer.send(keyed("letter-1"));
        SendResult again = mailer.send(keyed("letter-1"));
        SendResult other = mailer.send(keyed("letter-2"));

        assertThat(first.accepted()).isTrue();
        assertThat(again.providerMessageId()).isEqualTo(first.providerMessageId());
        assertThat(other.providerMessageId()).isNotEqualTo(first.providerMessageId());
        assertThat(resend.emails()).extracting(MockResend.Email::idempotencyKey).containsExactly("letter-1", "letter-2");
        assertThat(resend.requests()).isEqualTo(3);
    }

    @Test
    void tagsGoAsResendTags() {
        mailer.send(keyed("k"));
        assertThat(resend.emails().get(0).tags()).containsExactly(Map.entry("template", "verify-email"));
    }

    @ParameterizedTest
    @CsvSource({"500, true, Resend answered 500 internal_server_error", "429, true, Resend answered 429 rate_limit_exceeded"})
    void serverErrorsAndThrottlingMayPass(int status, boolean retryable, String error) {
        resend.failNext(1, status);
        SendResult result = mailer.send(keyed("k"));
        assertThat(result.accepted()).isFalse();
        assertThat(result.retryable()).isEqualTo(retryable);
        assertThat(result.error()).isEqualTo(error);
        assertThat(mailer.send(keyed("k")).accepted()).as("the next try goes through").isTrue();
        assertThat(resend.emails()).hasSize(1);
    }

    @Test
    void aRefusedMessageIsRefusedForGood() {
        resend.refuseNext(1);
        SendResult result = mailer.send(keyed("k"));
        assertThat(result.retryable()).isFalse();
        assertThat(result.error()).isEqualTo("Resend answered 422 validation_error");
    }

    @Test
    void aKeyReusedForAnotherMessageIsRefusedForGood() {
        mailer.send(keyed("k"));
        SendResult result = mailer.send(new MailMessage(null, List.of("bob@example.test"), "Other", "x", null, Map.of(), null, "k"));
        assertThat(result.retryable()).isFalse();
        assertThat(result.error()).isEqualTo("Resend answered 409 invalid_idempotent_request");
    }

    @Test
    void noAnswerInTimeMayPass() {
        resend.stallNext(1);
        SendResult result = mailer(resend.apiBase(), API_KEY, Map.of("timeout-seconds", "1")).send(keyed("k"));
        assertThat(result.retryable()).isTrue();
        assertThat(result.error()).isEqualTo("Resend did not answer within 1 s");
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "api-key|   |apimodels.resend.api-key is required",
            "from|      |apimodels.mail.from is required",
            "api-base|ftp://x|apimodels.resend.api-base must be",
            "timeout-seconds|0|apimodels.mail.timeout-seconds must be"})
    void wrongSettingsAreNamed(String setting, String value, String message) {
        Map<String, String> options = new HashMap<>(Map.of("api-key", API_KEY, "from", "a@b.test"));
        options.put(setting, value == null ? "" : value);
        assertThatThrownBy(() -> new ResendMailerFactory().create(new MailerConfig("resend", options)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith(message);
    }

    @Test
    void theDefaultApiBaseIsResends() {
        assertThat(ResendSettings.from(new MailerConfig("resend", Map.of("api-key", API_KEY, "from", "a@b.test"))).emails())
                .hasToString("https://api.resend.com/emails");
    }
}
