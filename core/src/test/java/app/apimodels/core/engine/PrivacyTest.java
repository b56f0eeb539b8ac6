package app.apimodels.core.engine;

import app.apimodels.core.engine.EngineHarness.User;
import app.apimodels.core.testing.TestDatabases;
import app.apimodels.testkit.MockMedia;
import app.apimodels.testkit.web.MockExchange;
import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;

import static app.apimodels.core.engine.EngineHarness.ADMIN_KEY;
import static app.apimodels.core.engine.EngineHarness.expect;
import static app.apimodels.core.engine.EngineHarness.json;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The privacy rights through the engine's public surface, on H2 and PostgreSQL: the export holds the
 * caller's data and nothing of anyone else's, keys masked; correction and objection; restriction
 * stops calls and keeps data; every request is in the admin's register with its due date.
 */
class PrivacyTest {

    static final String CHAT = "{\"model\":\"test-chat\",\"messages\":[{\"role\":\"user\",\"content\":\"Say hello\"}]}";
    static final String BOUNDARY = "----privacy-test-boundary";

    @TempDir
    static Path dir;
    static final Map<TestDatabases, EngineHarness> GATEWAYS = new EnumMap<>(TestDatabases.class);

    @BeforeAll
    static void start() throws Exception {
        GATEWAYS.put(TestDatabases.H2, EngineHarness.start(Files.createDirectories(dir.resolve("h2"))));
        GATEWAYS.put(TestDatabases.POSTGRESQL, EngineHarness.start(Files.createDirectories(dir.resolve("pg")),
                EngineHarness.onPostgres(Map.of())));
    }

    @AfterAll
    static void stop() {
        GATEWAYS.values().forEach(EngineHarness::close);
    }

    /** A user who has a name, made a paid call and stored a file. */
    record Person(User user, String email, String name, String fileId) {
    }

    static Person person(EngineHarness gateway, String name) {
        User u = gateway.user(1_000_000);
        expect(gateway.call(MockExchange.builder("PATCH", "/api/v1/account").bearer(u.key())
                .json("{\"name\":\"" + name + "\"}")), 200);
        expect(gateway.post("/v1/chat/completions", u.key(), CHAT), 200);
        String fileId = json(expect(upload(gateway, u, name + ".png"), 200)).at("/data/fileId").asText();
        String email = json(expect(gateway.get("/api/v1/account", u.key()), 200)).get("email").asText();
        return new Person(u, email, name, fileId);
    }

    static MockExchange.Answer upload(EngineHarness gateway, User u, String fileName) {
        byte[] png = MockMedia.sample("image/png");
        byte[] head = ("--" + BOUNDARY + "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"" + fileName
                + "\"\r\nContent-Type: image/png\r\n\r\n").getBytes(StandardCharsets.UTF_8);
        byte[] tail = ("\r\n--" + BOUNDARY + "--\r\n").getBytes(StandardCharsets.UTF_8);
        byte[] body = new byte[head.length + png.length + tail.length];
        System.arraycopy(head, 0, body, 0, head.length);
        System.arraycopy(png, 0, body, head.length, png.length);
        System.arraycopy(tail, 0, body, head.length + png.length, tail.length);
        return gateway.call(MockExchange.post("/api/v1/uploads").bearer(u.key())
                .body("multipart/form-data; boundary=" + BOUNDARY, body));
    }

    static Map<String, String> unzip(byte[] zip) throws IOException {
        Map<String, String> files = new LinkedHashMap<>();
        try (ZipInputStream in = new ZipInputStream(new ByteArrayInputStream(zip))) {
            for (ZipEntry e = in.getNextEntry(); e != null; e = in.getNextEntry()) {
                files.put(e.getName(), new String(in.readAllBytes(), StandardCharsets.UTF_8));
            }
        }
        return files;
    }

    @ParameterizedTest
    @EnumSource(TestDatabases.class)
    void theExportHoldsTheCallersDataAndNothingOfAnotherAccount(TestDatabases db) throws IOException {
        EngineHarness gateway = GATEWAYS.get(db);
        Person alice = person(gateway, "Alice Liddell");
        Person bob = person(gateway, "Bob Builder");

        MockExchange.Answer answer = expect(gateway.get("/api/v1/account/export", alice.user().key()), 200);

        assertThat(answer.contentType()).isEqualTo("application/zip");
        assertThat(answer.header("Content-Disposition")).contains("attachment");
        Map<String, String> files = unzip(answer.body());
        assertThat(files).containsKeys("account.json", "consents.json", "keys.json", "tasks.json", "files.json",
                "privacy-requests.json", "ledger.csv", "usage.csv", "export.json");
        JsonNode account = EngineHarness.JSON.readTree(files.get("account.json"));
        assertThat(account.get("id").asLong()).isEqualTo(alice.user().id());
        assertThat(account.get("email").asText()).isEqualTo(alice.email());
        assertThat(account.get("name").asText()).isEqualTo(alice.name());
        assertThat(account.get("balance_micros").asLong()).isEqualTo(gateway.balance(alice.user()));
        // Keys: prefix and last four only, never the secret.
        JsonNode key = EngineHarness.JSON.readTree(files.get("keys.json")).get(0);
        String secret = alice.user().key();
        assertThat(key.get("key_masked").asText()).isEqualTo(secret.substring(0, 10) + "..." + secret.substring(secret.length() - 4));
        assertThat(files.values()).noneMatch(f -> f.contains(secret) || f.contains(secret.substring(10, secret.length() - 4)));
        // The call and the grant, in CSV.
        assertThat(files.get("usage.csv").lines()).hasSize(2).first().asString().startsWith("id,key_id,endpoint,model");
        assertThat(files.get("usage.csv").lines().skip(1)).singleElement().asString().contains("chat", "test-chat", "200");
        assertThat(files.get("ledger.csv")).contains(",grant,1000000,grants,wallet,");
        // The stored file, with a signed link that opens it without a key.
        JsonNode file = EngineHarness.JSON.readTree(files.get("files.json")).get(0);
        assertThat(file.get("id").asText()).isEqualTo(alice.fileId());
        assertThat(file.get("file_name").asText()).isEqualTo("Alice Liddell.png");
        String link = file.get("url").asText();
        assertThat(link).contains("signature=");
        assertThat(gateway.call(MockExchange.get(link.substring("http://localhost".length()))).body())
                .isEqualTo(MockMedia.sample("image/png"));
        // Nothing of the other account, anywhere.
        assertThat(String.join("\n", files.values())).doesNotContain(bob.email(), bob.name(), bob.fileId(),
                bob.user().key().substring(0, 14));
        JsonNode request = json(expect(gateway.get("/admin/privacy-requests/" + answer.header("X-Apimodels-Privacy-Request"),
                ADMIN_KEY), 200));
        assertThat(request.get("kind").asText()).isEqualTo("export");
        assertThat(request.get("state").asText()).isEqualTo("completed");
        assertThat(request.get("account_id").asLong()).isEqualTo(alice.user().id());
    }

    @ParameterizedTest
    @EnumSource(TestDatabases.class)
    void correctionAndObjectionAreRecordedWithTheirDueDates(TestDatabases db) throws IOException {
        EngineHarness gateway = GATEWAYS.get(db);
        User u = gateway.user(0);
        JsonNode consented = json(expect(patch(gateway, u, "{\"marketing_consent\":true,\"low_balance_threshold_micros\":5000}"), 200));
        assertThat(consented.get("marketing_consent").asBoolean()).isTrue();
        assertThat(consented.get("low_balance_threshold_micros").asLong()).isEqualTo(5000);
        assertThat(consented.get("privacy_requests")).isEmpty();

        JsonNode changed = json(expect(patch(gateway, u, "{\"name\":\"  Carol Danvers \",\"marketing_consent\":false}"), 200));

        assertThat(changed.get("name").asText()).isEqualTo("Carol Danvers");
        assertThat(changed.get("marketing_consent").asBoolean()).isFalse();
        assertThat(changed.get("low_balance_threshold_micros").asLong()).as("a field not named stays").isEqualTo(5000);
        assertThat(changed.get("privacy_requests")).hasSize(2);
        JsonNode list = json(expect(gateway.get("/admin/privacy-requests?account=" + u.id(), ADMIN_KEY), 200)).get("data");
        assertThat(list).extracting(r -> r.get("kind").asText()).containsExactlyInAnyOrder("correct", "object");
        for (JsonNode r : list) {
            assertThat(r.get("state").asText()).isEqualTo("completed");
            assertThat(r.get("due_at").asLong() - r.get("received_at").asLong()).isEqualTo(Duration.ofDays(30).toMillis());
            assertThat(r.get("outcome").asText()).as("what was done, not the data").doesNotContain("Carol");
            assertThat(r.get("overdue").asBoolean()).isFalse();
        }
        JsonNode consents = EngineHarness.JSON.readTree(unzip(expect(gateway.get("/api/v1/account/export", u.key()), 200).body())
                .get("consents.json"));
        assertThat(consents).extracting(c -> c.get("granted").asBoolean()).containsExactly(true, false);
        assertThat(consents.get(1).get("created_at").asLong()).isPositive();
        // The threshold can be turned off again.
        assertThat(json(expect(patch(gateway, u, "{\"low_balance_threshold_micros\":null}"), 200))
                .get("low_balance_threshold_micros").isNull()).isTrue();
    }

    @ParameterizedTest
    @EnumSource(TestDatabases.class)
    void badCorrectionsNameTheField(TestDatabases db) {
        EngineHarness gateway = GATEWAYS.get(db);
        User u = gateway.user(0);
        assertField(patch(gateway, u, "{\"role\":\"admin\"}"), "role");
        assertField(patch(gateway, u, "{}"), "name");
        assertField(patch(gateway, u, "{\"marketing_consent\":\"yes\"}"), "marketing_consent");
        assertField(patch(gateway, u, "{\"name\":\"" + "x".repeat(201) + "\"}"), "name");
        assertField(patch(gateway, u, "{\"low_balance_threshold_micros\":-1}"), "low_balance_threshold_micros");
        // A new address is verified by a mailed link before it counts; one mail cannot reach is refused at once.
        assertField(patch(gateway, u, "{\"email\":\"not an address\"}"), "email");
        assertField(gateway.post("/api/v1/account/restriction", u.key(), "{\"restricted\":1}"), "restricted");
        expect(gateway.get("/admin/privacy-requests", u.key()), 403);
        expect(gateway.get("/admin/privacy-requests/pr_unknown", ADMIN_KEY), 404);
        expect(gateway.get("/admin/privacy-requests?state=lost", ADMIN_KEY), 400);
    }

    @ParameterizedTest
    @EnumSource(TestDatabases.class)
    void aRestrictedAccountMakesNoCallsKeepsItsDataAndCanLiftIt(TestDatabases db) throws IOException {
        EngineHarness gateway = GATEWAYS.get(db);
        User u = gateway.user(1_000_000);
        expect(gateway.post("/v1/chat/completions", u.key(), CHAT), 200);
        long balance = gateway.balance(u);

        JsonNode restricted = json(expect(gateway.post("/api/v1/account/restriction", u.key(), "{\"restricted\":true}"), 200));
        assertThat(restricted.get("restricted").asBoolean()).isTrue();

        MockExchange.Answer refused = expect(gateway.post("/v1/chat/completions", u.key(), CHAT), 403);
        assertThat(json(refused).at("/error/code").asText()).isEqualTo("account_restricted");
        assertThat(json(refused).at("/error/message").asText()).contains("restricted", "/api/v1/account/restriction");
        MockExchange.Answer task = expect(gateway.post("/api/v1/images/generations", u.key(),
                "{\"model\":\"test-image\",\"prompt\":\"a cat\"}"), 403);
        assertThat(json(task).get("code").asInt()).isEqualTo(403);
        expect(upload(gateway, u, "cat.png"), 403);
        // Data kept and readable; the holder still manages the account.
        assertThat(gateway.balance(u)).isEqualTo(balance);
        expect(gateway.get("/api/v1/account/usage", u.key()), 200);
        assertThat(unzip(expect(gateway.get("/api/v1/account/export", u.key()), 200).body()).get("usage.csv").lines()).hasSize(2);

        expect(gateway.post("/api/v1/account/restriction", u.key(), "{\"restricted\":false}"), 200);

        expect(gateway.post("/v1/chat/completions", u.key(), CHAT), 200);
        JsonNode list = json(expect(gateway.get("/admin/privacy-requests?account=" + u.id(), ADMIN_KEY), 200)).get("data");
        assertThat(list).extracting(r -> r.get("kind").asText() + ":" + r.get("outcome").asText())
                .contains("restrict:processing restricted: calls refused, data kept", "restrict:restriction lifted: calls allowed again");
    }

    static MockExchange.Answer patch(EngineHarness gateway, User u, String json) {
        return gateway.call(MockExchange.builder("PATCH", "/api/v1/account").bearer(u.key()).json(json));
    }

    static void assertField(MockExchange.Answer a, String field) {
        assertThat(a.status()).as(a.toString()).isEqualTo(400);
        assertThat(a.bodyText()).contains(field);
    }
}
