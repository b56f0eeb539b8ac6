package app.apimodels.core.engine;

import app.apimodels.core.engine.EngineHarness.User;
import app.apimodels.core.mail.ScriptedMailer;
import app.apimodels.core.testing.TestDatabases;
import app.apimodels.spi.provider.TaskOutput;
import app.apimodels.spi.provider.TaskUpdate;
import app.apimodels.testkit.MockMedia;
import app.apimodels.testkit.ScriptedPaymentGateway;
import app.apimodels.testkit.web.MockExchange;
import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;

import static app.apimodels.core.engine.EngineHarness.ADMIN_KEY;
import static app.apimodels.core.engine.EngineHarness.expect;
import static app.apimodels.core.engine.EngineHarness.json;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Erasure through the engine's public surface, on H2 and PostgreSQL: afterwards no text column of
 * any table holds the person's e-mail address or name (read from the database's own catalog, so a
 * table added later is searched too), while the ledger still balances and the call log keeps its
 * figures; files are gone from the storage; the other account is untouched.
 */
class ErasureTest {

    static final String CHAT = "{\"model\":\"test-chat\",\"messages\":[{\"role\":\"user\",\"content\":\"Say hello\"}]}";

    @TempDir
    static Path dir;
    static final Map<TestDatabases, EngineHarness> GATEWAYS = new EnumMap<>(TestDatabases.class);
    static final ScriptedMailer MAILER = new ScriptedMailer("scripted");
    static final Map<TestDatabases, DatabaseProbe> DATABASES = new EnumMap<>(TestDatabases.class);

    @BeforeAll
    static void start() throws Exception {
        for (TestDatabases db : TestDatabases.values()) {
            DATABASES.put(db, new DatabaseProbe(db.settings()));
            Map<String, String> settings = new HashMap<>(DATABASES.get(db).settings());
            settings.put("apimodels.mail.type", "scripted");
            GATEWAYS.put(db, EngineHarness.start(Files.createDirectories(dir.resolve(db.name())), settings,
                    b -> b.mailer(MAILER).paymentGateway(new ScriptedPaymentGateway("scripted", "scripted-secret"))));
        }
    }

    @AfterAll
    static void stop() {
        GATEWAYS.values().forEach(EngineHarness::close);
    }

    /** A person who used everything that keeps personal data: named, granted with a reason naming them, called, uploaded, generated. */
    record Person(User user, String email, String name, String uploadId, String uploadLink, String orderId) {
    }

    static Person person(EngineHarness gateway, String password) {
        String name = "Zebulon Quixote-" + UUID.randomUUID().toString().substring(0, 8);
        String email = "z-" + UUID.randomUUID() + "@example.com";
        JsonNode created = json(expect(gateway.post("/admin/users", ADMIN_KEY, "{\"email\":\"" + email + "\""
                + (password == null ? "" : ",\"password\":\"" + password + "\"") + "}"), 201));
        long id = created.get("id").asLong();
        expect(gateway.post("/admin/users/" + id + "/credits", ADMIN_KEY, "{\"amount_micros\":1000000,\"reason\":\"top-up for "
                + email + " (" + name + ")\",\"idempotency_key\":\"grant-" + id + "\"}"), 201);
        String key = json(expect(gateway.post("/admin/users/" + id + "/keys", ADMIN_KEY, "{\"name\":\"" + name + "'s laptop\"}"), 201))
                .get("key").asText();
        User u = new User(id, key);
        expect(PrivacyTest.patch(gateway, u, "{\"name\":\"" + name + "\",\"marketing_consent\":true}"), 200);
        expect(gateway.post("/v1/chat/completions", key, CHAT), 200);
        JsonNode upload = json(expect(PrivacyTest.upload(gateway, u, name + ".png"), 200)).get("data");
        gateway.upstream.onSubmit = r -> CompletableFuture.completedFuture(
                TaskUpdate.succeeded("up-" + id, List.of(TaskOutput.bytes(MockMedia.sample("image/png"), "image/png")), null));
        expect(gateway.call(MockExchange.post("/api/v1/images/generations").bearer(key).header("Idempotency-Key", "gen-" + id)
                .json("{\"model\":\"test-image\",\"prompt\":\"a portrait of " + name + "\"}")), 200);
        String order = json(expect(gateway.post("/api/v1/billing/checkout", key, "{\"amount_micros\":5000000,\"method\":\"scripted\"}"),
                201)).get("order_id").asText();
        return new Person(u, email, name, upload.get("fileId").asText(), upload.get("fileUrl").asText(), order);
    }

    @ParameterizedTest
    @EnumSource(TestDatabases.class)
    void afterAnErasureNoTableNamesThePersonWhileTheLedgerAndTheCallLogKeepTheirFigures(TestDatabases db) throws Exception {
        EngineHarness gateway = GATEWAYS.get(db);
        DatabaseProbe probe = DATABASES.get(db);
        Person zeb = person(gateway, null);
        Person other = person(gateway, null);
        long id = zeb.user().id();
        assertThat(probe.find(zeb.email())).as("the test reaches the person's data")
                .contains("apimodels_account.email", "apimodels_transfer.reason");
        assertThat(probe.find(zeb.name())).contains("apimodels_account.name", "apimodels_api_key.name", "apimodels_transfer.reason",
                "apimodels_media_object.file_name", "apimodels_task.input");
        long calls = probe.number("SELECT COUNT(*) FROM apimodels_call_log WHERE account_id = ?", id);
        long costs = probe.number("SELECT SUM(cost_micros) FROM apimodels_call_log WHERE account_id = ?", id);
        long balance = gateway.balance(zeb.user());
        assertThat(calls).isEqualTo(2);
        // Before: the export has the person's order (billing's section) and not the other's.
        Map<String, String> export = PrivacyTest.unzip(expect(gateway.get("/api/v1/account/export", zeb.user().key()), 200).body());
        assertThat(export.get("orders.csv").lines().skip(1)).singleElement().asString().startsWith(zeb.orderId() + ",scripted,");
        assertThat(String.join("\n", export.values())).doesNotContain(other.orderId(), other.email(), other.name());

        expect(gateway.call(MockExchange.delete("/api/v1/account").bearer(zeb.user().key()).json("{\"confirm_email\":\"someone@else.com\"}")), 400);
        MockExchange.Answer answer = expect(gateway.call(MockExchange.delete("/api/v1/account").bearer(zeb.user().key())
                .json("{\"confirm_email\":\"" + zeb.email().toUpperCase(Locale.ROOT) + "\"}")), 200);

        JsonNode request = json(answer);
        assertThat(request.get("kind").asText()).isEqualTo("delete");
        assertThat(request.get("state").asText()).isEqualTo("completed");
        assertThat(request.get("outcome").asText()).contains("API keys revoked: 1", "files deleted from storage: 2",
                "wallet balance kept: " + balance);
        // The key is dead, the files are gone from the storage.
        expect(gateway.get("/api/v1/account", zeb.user().key()), 401);
        assertThat(gateway.call(MockExchange.get(zeb.uploadLink().substring("http://localhost".length()))).status()).isEqualTo(404);
        // Two letters to the old address (received, done) are the only place it is left, until they are sent.
        assertThat(probe.find(zeb.email())).containsOnly("apimodels_mail_outbox.recipient").hasSize(2);
        assertThat(probe.find(zeb.name())).isEmpty();
        expect(gateway.post("/admin/jobs/mail-send/run", ADMIN_KEY, "{}"), 200);
        assertThat(MAILER.sent()).filteredOn(m -> m.to().contains(zeb.email())).hasSize(2)
                .allSatisfy(m -> assertThat(m.tags()).containsValue("account-deletion"));
        // Once sent, the letters keep no address either.
        expect(gateway.post("/admin/jobs/retention/run", ADMIN_KEY, "{}"), 200);
        assertThat(probe.find(zeb.email())).isEmpty();
        // Billing records stay, anonymised.
        assertThat(probe.number("SELECT SUM(balance) FROM apimodels_ledger_account")).isZero();
        assertThat(probe.number("SELECT COUNT(*) FROM apimodels_call_log WHERE account_id = ?", id)).isEqualTo(calls);
        assertThat(probe.number("SELECT SUM(cost_micros) FROM apimodels_call_log WHERE account_id = ?", id)).isEqualTo(costs);
        assertThat(probe.number("SELECT balance FROM apimodels_ledger_account WHERE owner_id = ? AND kind = 'wallet'", id)).isEqualTo(balance);
        assertThat(probe.number("SELECT COUNT(*) FROM apimodels_order WHERE account_id = ? AND amount_micros = 5000000", id)).isEqualTo(1);
        JsonNode admin = json(expect(gateway.get("/admin/users/" + id, ADMIN_KEY), 200));
        assertThat(admin.get("email").asText()).isEqualTo("deleted-" + id + "@invalid");
        JsonNode requests = json(expect(gateway.get("/admin/privacy-requests?account=" + id, ADMIN_KEY), 200)).get("data");
        assertThat(requests).extracting(r -> r.get("kind").asText()).contains("delete", "correct");
        // The other account is untouched.
        assertThat(probe.find(other.email())).hasSizeGreaterThan(1);
        expect(gateway.post("/v1/chat/completions", other.user().key(), CHAT), 200);
        assertThat(gateway.call(MockExchange.get(other.uploadLink().substring("http://localhost".length()))).status()).isEqualTo(200);
    }

    @ParameterizedTest
    @EnumSource(TestDatabases.class)
    void anAccountWithAPasswordIsErasedOnlyWithIt(TestDatabases db) {
        EngineHarness gateway = GATEWAYS.get(db);
        User u = person(gateway, "correct horse battery").user();

        MockExchange.Answer wrong = expect(gateway.call(MockExchange.delete("/api/v1/account").bearer(u.key())
                .json("{\"password\":\"wrong horse battery\"}")), 400);
        assertThat(wrong.bodyText()).contains("password");
        expect(gateway.call(MockExchange.delete("/api/v1/account").bearer(u.key()).json("{}")), 400);
        expect(gateway.get("/api/v1/account", u.key()), 200);

        expect(gateway.call(MockExchange.delete("/api/v1/account").bearer(u.key()).json("{\"password\":\"correct horse battery\"}")), 200);

        expect(gateway.get("/api/v1/account", u.key()), 401);
        // An admin is not erased through its own key.
        MockExchange.Answer admin = expect(gateway.call(MockExchange.delete("/api/v1/account").bearer(ADMIN_KEY).json("{}")), 400);
        assertThat(admin.bodyText()).contains("admin");
    }
}
