package app.apimodels.mail.smtp;

import app.apimodels.spi.mail.MailMessage;
import app.apimodels.spi.mail.Mailer;
import app.apimodels.spi.mail.MailerConfig;
import app.apimodels.spi.mail.MailerFactory;
import app.apimodels.spi.mail.SendResult;
import app.apimodels.testkit.GreenMailInbox;
import jakarta.mail.internet.MimeMessage;
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

import static app.apimodels.mail.smtp.SmtpMailerContractTest.PASSWORD;
import static app.apimodels.mail.smtp.SmtpMailerContractTest.USERNAME;
import static app.apimodels.mail.smtp.SmtpMailerContractTest.mailer;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** What is particular to SMTP: settings, TLS insistence, reply codes, Message-IDs and tag headers. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class SmtpMailerTest {

    private final GreenMailInbox inbox = new GreenMailInbox(USERNAME, PASSWORD);

    @BeforeEach
    void empty() {
        inbox.clear();
    }

    @AfterAll
    void stop() {
        inbox.close();
    }

    @Test
    void theFactoryIsFoundByItsType() {
        MailerFactory factory = ServiceLoader.load(MailerFactory.class).stream().map(ServiceLoader.Provider::get)
                .filter(candidate -> candidate.type().equals("smtp")).findFirst().orElseThrow();

        assertThat(factory).isInstanceOf(SmtpMailerFactory.class);
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
            "host=                          | apimodels.mail.host is required",
            "from=                          | apimodels.mail.from is required",
            "from=not an address            | apimodels.mail.from is not an email address",
            "port=70000                     | apimodels.mail.port must be a whole number from 1 to 65535",
            "port=smtp                      | apimodels.mail.port must be a whole number from 1 to 65535",
            "starttls=yes                   | apimodels.mail.starttls must be true or false",
            "password=                      | apimodels.mail.username and apimodels.mail.password go together",
            "tag-header=X Tags              | apimodels.mail.tag-header must be a header name"})
    void wrongSettingsAreNamed(String setting, String message) {
        Map<String, String> options = new HashMap<>(Map.of("host", "smtp.example.test", "from", "noreply@example.test",
                "username", "u", "password", "p-" + PASSWORD));
        String[] pair = setting.split("=", 2);
        options.put(pair[0], pair[1]);

        assertThatThrownBy(() -> new SmtpMailerFactory().create(new MailerConfig("smtp", options)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith(message);
    }

    @Test
    void withStartTlsRequiredNothingIsSentToAServerThatCannotUpgrade() {
        Mailer insisting = mailer(inbox.port(), PASSWORD, Map.of("starttls", "true"));

        SendResult result = insisting.send(MailMessage.text("alice@example.test", "Hi", "Hello"));

        assertThat(result.accepted()).isFalse();
        assertThat(result.retryable()).isFalse();
        assertThat(result.error()).contains("STARTTLS").doesNotContain(PASSWORD);
        assertThat(inbox.receivedCopies()).isEmpty();
    }

    @Test
    void aRetriedMessageKeepsItsMessageIdAndOthersGetTheirOwn() {
        Mailer mailer = mailer(inbox.port(), PASSWORD);
        MailMessage receipt = new MailMessage(null, List.of("alice@example.test"), "Receipt", "Paid", null, Map.of(), null,
                "receipt-order-42");

        String first = mailer.send(receipt).providerMessageId();
        String retried = mailer.send(receipt).providerMessageId();
        String unkeyed = mailer.send(MailMessage.text("alice@example.test", "Other", "x")).providerMessageId();
        String unkeyedAgain = mailer.send(MailMessage.text("alice@example.test", "Other", "x")).providerMessageId();

        assertThat(retried).isEqualTo(first).matches("<[0-9a-f]{32}\\.apimodels@apimodels\\.test>");
        assertThat(unkeyed).isNotEqualTo(first).isNotEqualTo(unkeyedAgain);
        assertThat(inbox.receivedCopies()).extracting(SmtpMailerTest::messageId).contains(first, unkeyed, unkeyedAgain);
    }

    @Test
    void tagsGoInTheConfiguredHeaderOnly() throws Exception {
        MailMessage tagged = new MailMessage(null, List.of("bob@example.test"), "Tagged", "x", null,
                new java.util.LinkedHashMap<>(Map.of("kind", "receipt")), null, null);

        mailer(inbox.port(), PASSWORD, Map.of("starttls", "false", "tag-header", "X-SES-MESSAGE-TAGS")).send(tagged);
        mailer(inbox.port(), PASSWORD).send(tagged);

        inbox.awaitMessages(2);
        List<MimeMessage> copies = inbox.receivedCopies();
        assertThat(copies.get(0).getHeader("X-SES-MESSAGE-TAGS")).containsExactly("kind=receipt");
        assertThat(copies.get(1).getHeader("X-SES-MESSAGE-TAGS")).isNull();
    }

    @Test
    void bodiesAreUtf8() throws Exception {
        mailer(inbox.port(), PASSWORD).send(MailMessage.text("carol@example.test", "Grüße", "Grüße 你好"));

        inbox.awaitMessages(1);
        assertThat(inbox.receivedCopies().get(0).getContentType()).containsIgnoringCase("charset=UTF-8");
    }

    @ParameterizedTest(name = "RCPT {0}, DATA {1}: retryable {2}")
    @CsvSource(delimiter = '|', value = {
            "550 5.1.1 User unknown          | 250 OK                                | false | a recipient (reply 550)",
            "452 4.2.2 Mailbox full          | 250 OK                                | true  | a recipient (reply 452)",
            "250 2.1.5 OK                    | 451 4.7.1 Greylisted, try again later | true  | the message (reply 451)",
            "250 2.1.5 OK                    | 554 5.7.1 Message rejected as spam    | false | the message (reply 554)"})
    void refusalsAreClassifiedByTheirReplyCode(String rcpt, String data, boolean retryable, String what) throws Exception {
        try (ScriptedSmtpServer server = new ScriptedSmtpServer(rcpt, data)) {
            SendResult result = mailer(server.port(), PASSWORD).send(MailMessage.text("dave@example.test", "Hi", "Hello"));

            assertThat(result.accepted()).isFalse();
            assertThat(result.retryable()).isEqualTo(retryable);
            assertThat(result.error()).isEqualTo("the SMTP server refused " + what).doesNotContain(PASSWORD);
            assertThat(server.commands()).contains("EHLO", "AUTH", "MAIL", "RCPT");
        }
    }

    @Test
    void aMalformedAddressIsTheCallersMistake() {
        Mailer mailer = mailer(inbox.port(), PASSWORD);

        assertThatThrownBy(() -> mailer.send(MailMessage.text("not an address", "Hi", "Hello")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("to is not an email address");
    }

    private static String messageId(MimeMessage message) {
        try {
            return message.getMessageID();
        } catch (jakarta.mail.MessagingException e) {
            throw new AssertionError(e);
        }
    }
}
