package app.apimodels.core.engine;

import app.apimodels.core.config.ConfigException;
import app.apimodels.core.config.ConfigSource;
import app.apimodels.core.config.Settings;
import app.apimodels.core.db.Database;
import app.apimodels.core.db.Sql;
import app.apimodels.core.mail.Letter;
import app.apimodels.core.mail.Outbox;
import app.apimodels.core.mail.ScriptedMailer;
import app.apimodels.spi.mail.MailMessage;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Clock;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/** The mail job as the engine runs it: found through the plug-ins, sending what any node queued. */
class MailJobTest {

    @TempDir
    Path dir;

    @Test
    void twoEnginesOnOnePostgresDatabaseSendEveryLetterOnce() throws Exception {
        Map<String, String> settings = new HashMap<>(EngineHarness.onPostgres(Map.of("apimodels.mail.type", "scripted",
                "apimodels.mail.send-interval-ms", "50", "apimodels.brand", "Acme AI")));
        List<MailMessage> sent = new CopyOnWriteArrayList<>();
        java.nio.file.Files.createDirectories(dir.resolve("a"));
        java.nio.file.Files.createDirectories(dir.resolve("b"));
        try (EngineHarness a = EngineHarness.start(dir.resolve("a"), settings, b -> b.mailer(new ScriptedMailer("scripted", sent)));
             EngineHarness b = EngineHarness.start(dir.resolve("b"), settings, x -> x.mailer(new ScriptedMailer("scripted", sent)));
             Database db = Database.open(null, new Settings(ConfigSource.of(settings)))) {
            Sql sql = new Sql(db);
            Outbox outbox = new Outbox(sql, Clock.systemUTC());
            int letters = 40;
            for (int i = 0; i < letters; i++) {
                outbox.queue(new Letter("user" + i + "@example.com", "low-balance", Locale.ENGLISH, Map.of("balance", "0.5"), null));
            }

            await().atMost(EngineHarness.WAIT).until(() -> sql.one("SELECT COUNT(*) FROM apimodels_mail_outbox WHERE state = 'sent'",
                    rs -> rs.getInt(1)).orElseThrow() == letters);

            assertThat(sent).hasSize(letters);
            assertThat(sent.stream().map(MailMessage::idempotencyKey).distinct()).hasSize(letters);
            assertThat(sent.get(0).subject()).isEqualTo("Your Acme AI balance is low");
            assertThat(EngineHarness.expect(a.send("GET", "/metrics", null, null), 200).bodyText())
                    .contains("apimodels_mail_queued 0.0");
            assertThat(EngineHarness.json(a.get("/admin/plugins", EngineHarness.ADMIN_KEY)).get("mailer").asText()).isEqualTo("scripted");
        }
    }

    @Test
    void withTheDefaultTypeAndNoOutboxMailerInstalledTheEngineStartsAndLettersWait() throws Exception {
        try (EngineHarness engine = EngineHarness.start(dir)) {
            assertThat(EngineHarness.expect(engine.send("GET", "/health/ready", null, null), 200).status()).isEqualTo(200);
            assertThat(EngineHarness.json(engine.get("/admin/plugins", EngineHarness.ADMIN_KEY)).get("mailer").isNull()).isTrue();
        }
    }

    @Test
    void aNamedMailerThatIsNotInstalledStopsStartUpNamingTheKey() {
        assertThatThrownBy(() -> EngineHarness.start(dir, Map.of("apimodels.mail.type", "carrier-pigeon")))
                .isInstanceOf(ConfigException.class).hasMessageContaining("apimodels.mail.type").hasMessageContaining("carrier-pigeon");
    }
}
