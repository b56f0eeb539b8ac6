package app.apimodels.mail.smtp;

import app.apimodels.spi.mail.MailMessage;
import app.apimodels.spi.mail.Mailer;
import app.apimodels.spi.mail.MailerConfig;
import app.apimodels.spi.mail.MailerFactory;
import app.apimodels.spi.mail.SendResult;
import app.apimodels.testkit.EmlFolderInbox;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The .eml outbox: one whole file per message, once per idempotency key. */
class EmlOutboxMailerTest {

    @TempDir
    Path dir;

    private Mailer mailer() {
        return new EmlOutboxMailerFactory().create(new MailerConfig("outbox", Map.of("dir", dir.toString())));
    }

    @Test
    void theFactoryIsFoundByItsType() {
        assertThat(ServiceLoader.load(MailerFactory.class).stream().map(ServiceLoader.Provider::get)
                .filter(f -> f.type().equals("outbox")).findFirst()).get().isInstanceOf(EmlOutboxMailerFactory.class);
    }

    @Test
    void aRetriedMessageIsOneFileAndOthersGetTheirOwn() {
        Mailer mailer = mailer();
        MailMessage letter = new MailMessage(null, List.of("a@example.test"), "Hi", "text", "<p>html</p>", Map.of(), null, "letter-1");
        SendResult first = mailer.send(letter);
        SendResult again = mailer.send(letter);
        mailer.send(new MailMessage(null, List.of("b@example.test"), "Hi", "text", null, Map.of(), null, "letter-2"));

        assertThat(again.providerMessageId()).isEqualTo(first.providerMessageId());
        assertThat(new EmlFolderInbox(dir).files()).hasSize(2);
        assertThat(EmlFolderInbox.read(dir.resolve(first.providerMessageId())).from())
                .as("the default sender without apimodels.mail.from").isEqualTo("noreply@localhost");
    }

    @Test
    void theFileIsAnRfc5322MessageAnyMailProgramOpens() throws IOException {
        SendResult sent = mailer().send(new MailMessage("Acme AI <noreply@acme.example>", List.of("a@example.test"),
                "你好 — receipt", "text", "<p>html</p>", Map.of(), null, "k"));
        String raw = Files.readString(dir.resolve(sent.providerMessageId()));
        assertThat(raw).contains("From: Acme AI <noreply@acme.example>", "To: a@example.test", "MIME-Version: 1.0",
                "Subject: =?UTF-8?", "multipart/alternative", "Message-ID: <", "Date: ");
        assertThat(dir.toFile().list()).as("no partial files left").allMatch(name -> name.endsWith(".eml"));
    }

    @Test
    void aFolderThatCannotBeMadeIsNamed() throws IOException {
        Path file = Files.writeString(dir.resolve("a-file"), "x");
        assertThatThrownBy(() -> new EmlOutboxMailerFactory().create(new MailerConfig("outbox", Map.of("dir", file.resolve("sub").toString()))))
                .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("apimodels.mail.dir");
    }
}
