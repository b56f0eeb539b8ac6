package app.apimodels.core.engine;

import app.apimodels.core.engine.EngineHarness.User;
import app.apimodels.core.testing.TestDatabases;
import app.apimodels.testkit.web.MockExchange;
import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.IOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;

import static app.apimodels.core.engine.EngineHarness.ADMIN_KEY;
import static app.apimodels.core.engine.EngineHarness.expect;
import static app.apimodels.core.engine.EngineHarness.json;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * What operators do to accounts through {@code /admin}, on H2 and PostgreSQL: find them, change
 * their role (never leaving the service without an admin, even when two admins demote each other
 * at once), suspend them, see the background jobs; and the bootstrap admin's console password.
 */
class OperatorsTest {

    static final String ADMIN_PASSWORD = "operator console password 42";
    static final String CHAT = "{\"model\":\"test-chat\",\"messages\":[{\"role\":\"user\",\"content\":\"Say hello\"}]}";

    private static final Map<TestDatabases, EngineHarness> ENGINES = new EnumMap<>(TestDatabases.class);

    private static EngineHarness on(TestDatabases kind) throws IOException {
        EngineHarness e = ENGINES.get(kind);
        if (e == null) {
            Map<String, String> settings = new HashMap<>(kind.settings());
            settings.put("apimodels.bootstrap.admin-password", ADMIN_PASSWORD);
            e = EngineHarness.start(Files.createTempDirectory("operators"), settings);
            ENGINES.put(kind, e);
        }
        return e;
    }

    @AfterAll
    static void stop() {
        ENGINES.values().forEach(EngineHarness::close);
    }

    @ParameterizedTest
    @EnumSource(TestDatabases.class)
    void usersAreFoundByIdAddressOrNameNewestFirstAPageAtATime(TestDatabases db) throws IOException {
        EngineHarness e = on(db);
        String tag = "find" + UUID.randomUUID().toString().substring(0, 8);
        List<Long> ids = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            ids.add(json(expect(e.post("/admin/users", ADMIN_KEY, "{\"email\":\"" + tag + "-" + i + "@Example.com\"}"), 201))
                    .get("id").asLong());
        }
        JsonNode found = json(expect(e.get("/admin/users?q=" + tag.toUpperCase(), ADMIN_KEY), 200));
        assertThat(found.get("data").findValuesAsText("id")).containsExactly(
                ids.get(2).toString(), ids.get(1).toString(), ids.get(0).toString());
        assertThat(found.get("data").get(0).get("email").asText()).isEqualTo(tag + "-2@example.com");
        assertThat(found.get("next_cursor").isNull()).as("the page was not full").isTrue();

        JsonNode first = json(expect(e.get("/admin/users?q=" + tag + "&limit=2", ADMIN_KEY), 200));
        assertThat(first.get("data")).hasSize(2);
        long cursor = first.get("next_cursor").asLong();
        assertThat(cursor).isEqualTo(ids.get(1));
        JsonNode second = json(expect(e.get("/admin/users?q=" + tag + "&limit=2&cursor=" + cursor, ADMIN_KEY), 200));
        assertThat(second.get("data").findValuesAsText("id")).containsExactly(ids.get(0).toString());

        JsonNode byId = json(expect(e.get("/admin/users?q=" + ids.get(1), ADMIN_KEY), 200));
        assertThat(byId.get("data").findValuesAsText("id")).contains(ids.get(1).toString());
        // A LIKE wildcard is a character like any other.
        assertThat(json(expect(e.get("/admin/users?q=" + tag + "%25", ADMIN_KEY), 200)).get("data")).isEmpty();
        assertThat(json(expect(e.get("/admin/users?q=_", ADMIN_KEY), 200)).get("data")).isEmpty();

        assertThat(expect(e.get("/admin/users?limit=0", ADMIN_KEY), 400).bodyText()).contains("limit");
        assertThat(expect(e.get("/admin/users?cursor=x", ADMIN_KEY), 400).bodyText()).contains("cursor");
        assertThat(expect(e.get("/admin/users?q=" + "a".repeat(321), ADMIN_KEY), 400).bodyText()).contains("\"q\"");
        User someone = e.user(0);
        expect(e.get("/admin/users?q=" + tag, someone.key()), 403);
    }

    @ParameterizedTest
    @EnumSource(TestDatabases.class)
    void rolesChangeButTheLastAdminStays(TestDatabases db) throws IOException {
        EngineHarness e = on(db);
        long bootstrap = json(expect(e.get("/api/v1/account", ADMIN_KEY), 200)).get("id").asLong();
        User u = e.user(0);
        expect(e.get("/admin/jobs", u.key()), 403);

        JsonNode promoted = json(expect(e.call(MockExchange.builder("PUT", "/admin/users/" + u.id() + "/role")
                .bearer(ADMIN_KEY).json("{\"role\":\"admin\"}")), 200));
        assertThat(promoted.get("role").asText()).isEqualTo("admin");
        expect(e.get("/admin/jobs", u.key()), 200); // its key is an admin's at once

        // The bootstrap admin steps down; the new admin is then the only one and cannot.
        expect(role(e, ADMIN_KEY, bootstrap, "user"), 200);
        expect(e.get("/admin/jobs", ADMIN_KEY), 403);
        MockExchange.Answer refused = expect(role(e, u.key(), u.id(), "user"), 400);
        assertThat(refused.bodyText()).contains("\"role\"").contains("only admin");
        assertThat(expect(role(e, u.key(), u.id(), "owner"), 400).bodyText()).contains("\"role\"");
        assertThat(expect(role(e, u.key(), u.id(), null), 400).bodyText()).contains("\"role\"");
        expect(role(e, u.key(), 999_999_999L, "admin"), 404);

        // Two admins demoting each other at once: one wins, one admin is left.
        expect(role(e, u.key(), bootstrap, "admin"), 200);
        for (int round = 0; round < 5; round++) {
            CompletableFuture<MockExchange.Answer> a = CompletableFuture.supplyAsync(() -> role(e, ADMIN_KEY, u.id(), "user"));
            CompletableFuture<MockExchange.Answer> b = CompletableFuture.supplyAsync(() -> role(e, u.key(), bootstrap, "user"));
            List<Integer> statuses = List.of(a.join().status(), b.join().status());
            assertThat(statuses).as("one demotion wins").containsOnlyOnce(200);
            assertThat(List.of(isAdmin(e, ADMIN_KEY), isAdmin(e, u.key()))).as("admins left").containsOnlyOnce(true);
            // Back to two admins, by whichever is still one.
            String admin = isAdmin(e, ADMIN_KEY) ? ADMIN_KEY : u.key();
            expect(role(e, admin, u.id(), "admin"), 200);
            expect(role(e, admin, bootstrap, "admin"), 200);
        }
        expect(role(e, ADMIN_KEY, u.id(), "user"), 200);
        expect(e.get("/admin/jobs", u.key()), 403);
    }

    @ParameterizedTest
    @EnumSource(TestDatabases.class)
    void aSuspendedAccountMakesNoCallsUntilAnOperatorLiftsIt(TestDatabases db) throws IOException {
        EngineHarness e = on(db);
        User u = e.user(1_000_000);
        expect(e.post("/v1/chat/completions", u.key(), CHAT), 200);

        JsonNode view = json(expect(e.post("/admin/users/" + u.id() + "/suspension", ADMIN_KEY,
                "{\"suspended\":true,\"reason\":\"card testing\"}"), 200));
        assertThat(view.get("suspension").get("reason").asText()).isEqualTo("card testing");
        assertThat(view.get("restricted").asBoolean()).isFalse();
        MockExchange.Answer refused = expect(e.post("/v1/chat/completions", u.key(), CHAT), 403);
        assertThat(refused.bodyText()).contains("account_restricted").contains("suspended by the service's operator");
        // The holder's own restriction switch does not lift an operator's suspension; reading stays open.
        expect(e.post("/api/v1/account/restriction", u.key(), "{\"restricted\":false}"), 200);
        expect(e.post("/v1/chat/completions", u.key(), CHAT), 403);
        expect(e.get("/api/v1/account", u.key()), 200);
        assertThat(json(expect(e.get("/admin/users/" + u.id(), ADMIN_KEY), 200)).get("suspension").get("since").asLong()).isPositive();
        assertThat(json(expect(e.get("/admin/users?q=" + u.id(), ADMIN_KEY), 200)).get("data").get(0).get("suspended").asBoolean())
                .isTrue();

        JsonNode lifted = json(expect(e.post("/admin/users/" + u.id() + "/suspension", ADMIN_KEY, "{\"suspended\":false}"), 200));
        assertThat(lifted.get("suspension").isNull()).isTrue();
        expect(e.post("/v1/chat/completions", u.key(), CHAT), 200);

        long bootstrap = json(expect(e.get("/api/v1/account", ADMIN_KEY), 200)).get("id").asLong();
        assertThat(expect(e.post("/admin/users/" + bootstrap + "/suspension", ADMIN_KEY, "{\"suspended\":true}"), 400).bodyText())
                .contains("\"suspended\"");
        assertThat(expect(e.post("/admin/users/" + u.id() + "/suspension", ADMIN_KEY, "{\"suspended\":\"yes\"}"), 400).bodyText())
                .contains("\"suspended\"");
        assertThat(expect(e.post("/admin/users/" + u.id() + "/suspension", ADMIN_KEY,
                "{\"suspended\":true,\"reason\":\"" + "r".repeat(501) + "\"}"), 400).bodyText()).contains("\"reason\"");
        expect(e.post("/admin/users/" + u.id() + "/suspension", u.key(), "{\"suspended\":false}"), 403);
    }

    @ParameterizedTest
    @EnumSource(TestDatabases.class)
    void theJobsListSaysWhenEachSweepRunsNext(TestDatabases db) throws IOException {
        EngineHarness e = on(db);
        JsonNode jobs = json(expect(e.get("/admin/jobs", ADMIN_KEY), 200)).get("data");
        Map<String, JsonNode> byName = new HashMap<>();
        jobs.forEach(j -> byName.put(j.get("name").asText(), j));
        assertThat(byName).containsKeys("retention", "billing-reconciliation", "media-retention");
        JsonNode retention = byName.get("retention");
        assertThat(retention.get("kind").asText()).isEqualTo("recurring");
        assertThat(retention.get("instances").asLong()).isEqualTo(1);
        assertThat(retention.get("next_run").asLong()).isPositive();
        assertThat(retention.get("run_now").asBoolean()).isTrue();
        assertThat(jobs).anySatisfy(j -> {
            assertThat(j.get("kind").asText()).isEqualTo("step");
            assertThat(j.get("run_now").asBoolean()).isFalse();
        });
    }

    @ParameterizedTest
    @EnumSource(TestDatabases.class)
    void theBootstrapAdminLogsInWithTheConfiguredPassword(TestDatabases db) throws IOException {
        Browser browser = new Browser(on(db));
        expect(browser.login("admin@apimodels.local", "not the password"), 401);
        expect(browser.login("admin@apimodels.local", ADMIN_PASSWORD), 200);
        expect(browser.get("/admin/jobs"), 200);
    }

    private static MockExchange.Answer role(EngineHarness e, String key, long id, String role) {
        return e.call(MockExchange.builder("PUT", "/admin/users/" + id + "/role").bearer(key)
                .json(role == null ? "{}" : "{\"role\":\"" + role + "\"}"));
    }

    /** Whether the key's own account is an admin's now. */
    private static boolean isAdmin(EngineHarness e, String key) {
        return "admin".equals(json(expect(e.get("/api/v1/account", key), 200)).get("role").asText());
    }
}
