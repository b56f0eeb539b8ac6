package app.apimodels.core.engine;

import app.apimodels.core.engine.EngineHarness.User;
import app.apimodels.core.testing.ShiftedClock;
import app.apimodels.core.testing.TestDatabases;
import app.apimodels.testkit.web.MockExchange;
import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.IOException;
import java.nio.file.Files;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

import static app.apimodels.core.engine.EngineHarness.ADMIN_KEY;
import static app.apimodels.core.engine.EngineHarness.expect;
import static app.apimodels.core.engine.EngineHarness.json;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Redemption codes through the API, on H2 and PostgreSQL: batches shown once and stored as hashes,
 * a code credits once however many requests race, refusals that tell a guesser nothing, guessing
 * throttled per account and per address (time moved, not waited for), admin routes for admins.
 * After each test the books balance.
 */
class RedemptionTest {

    static final int PER_ACCOUNT = 5;
    static final int PER_ADDRESS = 12;
    static final Duration WINDOW = Duration.ofMinutes(15);
    static final String CODE = "[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){4}";
    static final String PROXY = "192.0.2.1";
    static final String NOT_VALID = "this code is not valid: unknown, already used or disabled";

    record Engine(EngineHarness harness, Map<String, String> db, ShiftedClock clock) {
    }

    private static final Map<TestDatabases, Engine> ENGINES = new EnumMap<>(TestDatabases.class);
    private static final AtomicInteger ADDRESSES = new AtomicInteger();
    private Engine current;

    private Engine on(TestDatabases kind) throws IOException {
        Engine e = ENGINES.get(kind);
        if (e == null) {
            Map<String, String> settings = new HashMap<>(kind.settings());
            Map<String, String> db = Map.copyOf(settings);
            settings.put("apimodels.redemption.max-failures-per-account", Integer.toString(PER_ACCOUNT));
            settings.put("apimodels.redemption.max-failures-per-address", Integer.toString(PER_ADDRESS));
            settings.put("apimodels.redemption.attempt-window-seconds", Long.toString(WINDOW.toSeconds()));
            settings.put("apimodels.redemption.max-codes-per-batch", "100");
            settings.put("apimodels.redemption.max-amount-micros", "50000000");
            settings.put("apimodels.limits.trusted-proxies", PROXY);
            ShiftedClock clock = new ShiftedClock();
            e = new Engine(EngineHarness.start(Files.createTempDirectory("redemption"), settings, clock), db, clock);
            ENGINES.put(kind, e);
        }
        current = e;
        return e;
    }

    @AfterAll
    static void stop() {
        ENGINES.values().forEach(e -> e.harness().close());
        ENGINES.clear();
    }

    /** A client address no other request of this class used. */
    private static String freshAddress() {
        int n = ADDRESSES.incrementAndGet();
        return "10." + (n >> 16 & 255) + "." + (n >> 8 & 255) + "." + (n & 255);
    }

    private static MockExchange.Answer redeem(Engine e, User u, String code, String address) {
        return e.harness().call(MockExchange.post("/api/v1/billing/redeem").bearer(u.key()).remoteAddress(address)
                .json("{\"code\":\"" + code + "\"}"));
    }

    private static JsonNode batch(Engine e, int count, long amount, String extra) {
        return json(expect(e.harness().post("/admin/redemption-batches", ADMIN_KEY,
                "{\"count\":" + count + ",\"amount_micros\":" + amount + extra + "}"), 201));
    }

    private static List<String> codes(JsonNode batch) {
        List<String> codes = new ArrayList<>();
        batch.get("codes").forEach(c -> codes.add(c.get("code").asText()));
        return codes;
    }

    /** The refusal's field and detail (problem+json). */
    private static String refusal(MockExchange.Answer a) {
        assertThat(a.status()).as(a.toString()).isEqualTo(400);
        assertThat(a.contentType()).startsWith("application/problem+json");
        JsonNode p = json(a);
        assertThat(p.get("param").asText()).isEqualTo("code");
        return p.get("detail").asText();
    }

    @ParameterizedTest
    @EnumSource(TestDatabases.class)
    void aBatchShowsItsCodesOnceAndStoresOnlyTheirHashes(TestDatabases kind) throws Exception {
        Engine e = on(kind);
        MockExchange.Answer created = expect(e.harness().post("/admin/redemption-batches", ADMIN_KEY,
                "{\"count\":5,\"amount_micros\":2500000,\"note\":\"launch week\"}"), 201);
        assertThat(created.header("Cache-Control")).isEqualTo("no-store");
        JsonNode batch = json(created);
        List<String> codes = codes(batch);
        assertThat(codes).hasSize(5).doesNotHaveDuplicates().allMatch(c -> c.matches(CODE));
        assertThat(batch.get("amount_micros").asLong()).isEqualTo(2_500_000);
        assertThat(batch.get("unused").asInt()).isEqualTo(5);
        long id = batch.get("id").asLong();

        // Nothing in the table holds a code, in any column, in any spelling.
        List<String> stored = rows(e, "SELECT * FROM apimodels_redemption_code WHERE batch_id = " + id);
        assertThat(stored).hasSize(5);
        for (String code : codes) {
            String bare = code.replace("-", "");
            assertThat(String.join("\n", stored)).doesNotContainIgnoringCase(bare).doesNotContainIgnoringCase(code)
                    .doesNotContainIgnoringCase(bare.substring(0, 8));
        }
        assertThat(stored).allMatch(r -> r.matches("(?s).*\\b[0-9a-f]{64}\\b.*"));

        // Shown once: neither the batch view nor the list says them again.
        String view = expect(e.harness().get("/admin/redemption-batches/" + id, ADMIN_KEY), 200).bodyText();
        String list = expect(e.harness().get("/admin/redemption-batches", ADMIN_KEY), 200).bodyText();
        for (String code : codes) {
            assertThat(view).doesNotContain(code).doesNotContain(code.replace("-", ""));
            assertThat(list).doesNotContain(code);
        }
        JsonNode one = json(e.harness().get("/admin/redemption-batches/" + id, ADMIN_KEY));
        assertThat(one.get("codes")).hasSize(5).allMatch(c -> "unused".equals(c.get("state").asText()));
        assertThat(one.get("note").asText()).isEqualTo("launch week");
        JsonNode listed = json(e.harness().get("/admin/redemption-batches", ADMIN_KEY)).get("data").get(0);
        assertThat(listed.get("id").asLong()).isEqualTo(id);
        assertThat(listed.get("unused").asInt()).isEqualTo(5);
    }

    @ParameterizedTest
    @EnumSource(TestDatabases.class)
    void aCodeCreditsItsAmountOnce(TestDatabases kind) throws Exception {
        Engine e = on(kind);
        JsonNode batch = batch(e, 2, 1_234_567, "");
        String code = codes(batch).get(0);
        User u = e.harness().user(1_000);
        String address = freshAddress();

        // Typed loosely: lower case, spaces for hyphens, O for 0 and I/L for 1 read as they look.
        String typed = code.toLowerCase().replace('-', ' ').replace("0", "o").replace("1", "l");
        JsonNode t = json(expect(redeem(e, u, typed, address), 200));
        assertThat(t.get("kind").asText()).isEqualTo("redemption");
        assertThat(t.get("amount_micros").asLong()).isEqualTo(1_234_567);
        assertThat(t.get("balance_micros").asLong()).isEqualTo(1_000 + 1_234_567);
        assertThat(e.harness().balance(u)).isEqualTo(1_000 + 1_234_567);
        JsonNode ledger = json(e.harness().get("/api/v1/account/ledger", u.key())).get("data");
        assertThat(ledger.get(0).get("kind").asText()).isEqualTo("redemption");
        assertThat(ledger.get(0).get("amount_micros").asLong()).isEqualTo(1_234_567);

        // Again, by the same user or another: refused as an unknown code is, nothing moves.
        User other = e.harness().user(0);
        assertThat(refusal(redeem(e, u, code, address))).isEqualTo(NOT_VALID);
        assertThat(refusal(redeem(e, other, code, freshAddress()))).isEqualTo(NOT_VALID);
        assertThat(refusal(redeem(e, other, "ZZZZ-ZZZZ-ZZZZ-ZZZZ-ZZZZ", freshAddress()))).isEqualTo(NOT_VALID);
        assertThat(refusal(redeem(e, other, "not even a code", freshAddress()))).isEqualTo(NOT_VALID);
        assertThat(e.harness().balance(u)).isEqualTo(1_000 + 1_234_567);
        assertThat(e.harness().balance(other)).isZero();

        JsonNode view = json(e.harness().get("/admin/redemption-batches/" + batch.get("id").asLong(), ADMIN_KEY));
        assertThat(view.get("used").asInt()).isEqualTo(1);
        assertThat(view.get("unused").asInt()).isEqualTo(1);
        JsonNode used = view.get("codes").get(0);
        assertThat(used.get("state").asText()).isEqualTo("used");
        assertThat(used.get("redeemed_by").asLong()).isEqualTo(u.id());
    }

    @ParameterizedTest
    @EnumSource(TestDatabases.class)
    void fiftyRequestsRacingForOneCodeCreditItOnce(TestDatabases kind) throws Exception {
        Engine e = on(kind);
        String code = codes(batch(e, 1, 7_000_000, "")).get(0);
        List<User> users = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            users.add(e.harness().user(0));
        }
        ExecutorService pool = Executors.newFixedThreadPool(50);
        try {
            CountDownLatch start = new CountDownLatch(1);
            List<CompletableFuture<MockExchange.Answer>> answers = new ArrayList<>();
            for (User u : users) {
                String address = freshAddress();
                answers.add(CompletableFuture.supplyAsync(() -> {
                    try {
                        start.await();
                    } catch (InterruptedException ex) {
                        throw new IllegalStateException(ex);
                    }
                    return redeem(e, u, code, address);
                }, pool));
            }
            start.countDown();
            List<MockExchange.Answer> done = answers.stream().map(CompletableFuture::join).toList();
            assertThat(done.stream().filter(a -> a.status() == 200)).hasSize(1);
            assertThat(done.stream().filter(a -> a.status() != 200)).hasSize(49)
                    .allSatisfy(a -> assertThat(refusal(a)).isEqualTo(NOT_VALID));
        } finally {
            pool.shutdownNow();
        }
        long credited = 0;
        for (User u : users) {
            credited += e.harness().balance(u);
        }
        assertThat(credited).isEqualTo(7_000_000);
        assertThat(rows(e, "SELECT COUNT(*) FROM apimodels_transfer WHERE kind = 'redemption' AND amount = 7000000")).containsExactly("1");
    }

    @ParameterizedTest
    @EnumSource(TestDatabases.class)
    void expiredAndDisabledCodesAreRefused(TestDatabases kind) throws Exception {
        Engine e = on(kind);
        User u = e.harness().user(0);

        String expiring = codes(batch(e, 1, 1_000_000, ",\"expires_at\":" + (e.clock().millis() + 60_000))).get(0);
        e.clock().advance(Duration.ofMinutes(2));
        assertThat(refusal(redeem(e, u, expiring, freshAddress()))).isEqualTo("this code has expired");

        JsonNode whole = batch(e, 3, 1_000_000, "");
        JsonNode disabled = json(expect(e.harness().post("/admin/redemption-batches/" + whole.get("id").asLong() + "/disable",
                ADMIN_KEY, ""), 200));
        assertThat(disabled.get("disabled").asInt()).isEqualTo(3);
        assertThat(disabled.get("unused").asInt()).isZero();
        User other = e.harness().user(0);
        for (String code : codes(whole)) {
            assertThat(refusal(redeem(e, other, code, freshAddress()))).isEqualTo(NOT_VALID);
        }

        JsonNode some = batch(e, 2, 1_000_000, "");
        long first = some.get("codes").get(0).get("id").asLong();
        long second = some.get("codes").get(1).get("id").asLong();
        assertThat(json(expect(e.harness().post("/admin/redemption-codes/" + first + "/disable", ADMIN_KEY, ""), 200))
                .get("state").asText()).isEqualTo("disabled");
        assertThat(refusal(redeem(e, u, codes(some).get(0), freshAddress()))).isEqualTo(NOT_VALID);
        expect(redeem(e, u, codes(some).get(1), freshAddress()), 200);
        // A used code stays used: disabling it (or its batch) takes nothing back.
        assertThat(json(expect(e.harness().post("/admin/redemption-codes/" + second + "/disable", ADMIN_KEY, ""), 200))
                .get("state").asText()).isEqualTo("used");
        JsonNode after = json(expect(e.harness().post("/admin/redemption-batches/" + some.get("id").asLong() + "/disable",
                ADMIN_KEY, ""), 200));
        assertThat(after.get("used").asInt()).isEqualTo(1);
        assertThat(after.get("disabled").asInt()).isEqualTo(1);
        assertThat(e.harness().balance(u)).isEqualTo(1_000_000);
        expect(e.harness().post("/admin/redemption-codes/999999999/disable", ADMIN_KEY, ""), 404);
        expect(e.harness().get("/admin/redemption-batches/999999999", ADMIN_KEY), 404);
    }

    @ParameterizedTest
    @EnumSource(TestDatabases.class)
    void guessingIsThrottledPerAccountUntilTheWindowEnds(TestDatabases kind) throws Exception {
        Engine e = on(kind);
        List<String> good = codes(batch(e, 3, 500_000, ""));
        User guesser = e.harness().user(0);
        // A redemption is forgiven: it does not use the allowance.
        expect(redeem(e, guesser, good.get(0), freshAddress()), 200);
        for (int i = 0; i < PER_ACCOUNT; i++) {
            assertThat(refusal(redeem(e, guesser, "ZZZZ-ZZZZ-ZZZZ-ZZZZ-ZZZ" + i, freshAddress()))).isEqualTo(NOT_VALID);
        }
        // Now even a good code, from a new address, waits for the window.
        MockExchange.Answer limited = redeem(e, guesser, good.get(1), freshAddress());
        assertThat(limited.status()).as(limited.toString()).isEqualTo(429);
        assertThat(limited.contentType()).startsWith("application/problem+json");
        assertThat(json(limited).get("type").asText()).endsWith("rate-limited");
        long retryAfter = Long.parseLong(limited.header("Retry-After"));
        assertThat(retryAfter).isBetween(1L, WINDOW.toSeconds());
        assertThat(e.harness().balance(guesser)).isEqualTo(500_000);

        // Another account is not held up by this one.
        expect(redeem(e, e.harness().user(0), good.get(2), freshAddress()), 200);

        long windowStart = e.clock().millis();
        String counted = "SELECT COUNT(*) FROM apimodels_redemption_attempt WHERE window_start <= " + windowStart;
        assertThat(Long.parseLong(rows(e, counted).get(0))).isGreaterThanOrEqualTo(PER_ACCOUNT + 3);
        e.clock().advance(WINDOW);
        expect(redeem(e, guesser, good.get(1), freshAddress()), 200);
        assertThat(e.harness().balance(guesser)).isEqualTo(1_000_000);

        // The counts of ended windows are swept (the job may also have run on its own once the clock moved).
        String ended = "SELECT COUNT(*) FROM apimodels_redemption_attempt WHERE window_start <= " + windowStart;
        expect(e.harness().post("/admin/jobs/redemption-attempts/run", ADMIN_KEY, ""), 200);
        assertThat(rows(e, ended)).containsExactly("0");
    }

    @ParameterizedTest
    @EnumSource(TestDatabases.class)
    void guessingIsThrottledPerAddressAcrossAccounts(TestDatabases kind) throws Exception {
        Engine e = on(kind);
        String good = codes(batch(e, 1, 300_000, "")).get(0);
        String address = freshAddress();
        // Each account stays under its own allowance; together they use the address's. The peer is
        // no trusted proxy, so the X-Forwarded-For it sends is its own invention and changes nothing.
        for (int i = 0; i < PER_ADDRESS; i++) {
            User u = e.harness().user(0);
            MockExchange.Answer a = e.harness().call(MockExchange.post("/api/v1/billing/redeem").bearer(u.key())
                    .remoteAddress(address).header("X-Forwarded-For", freshAddress()).json("{\"code\":\"YYYY-YYYY-YYYY-YYYY-YYYY\"}"));
            assertThat(refusal(a)).isEqualTo(NOT_VALID);
        }
        User fresh = e.harness().user(0);
        MockExchange.Answer limited = redeem(e, fresh, good, address);
        assertThat(limited.status()).as(limited.toString()).isEqualTo(429);
        assertThat(limited.header("Retry-After")).isNotNull();
        // Through the trusted proxy the client is the address it forwards: the throttled one, then another.
        assertThat(e.harness().call(MockExchange.post("/api/v1/billing/redeem").bearer(fresh.key()).remoteAddress(PROXY)
                .header("X-Forwarded-For", address).json("{\"code\":\"" + good + "\"}")).status()).isEqualTo(429);
        expect(e.harness().call(MockExchange.post("/api/v1/billing/redeem").bearer(fresh.key()).remoteAddress(PROXY)
                .header("X-Forwarded-For", freshAddress()).json("{\"code\":\"" + good + "\"}")), 200);
        assertThat(e.harness().balance(fresh)).isEqualTo(300_000);
    }

    @ParameterizedTest
    @EnumSource(TestDatabases.class)
    void erasingAnAccountDeletesItsAttemptCountAndKeepsWhatItRedeemed(TestDatabases kind) throws Exception {
        Engine e = on(kind);
        String good = codes(batch(e, 1, 200_000, "")).get(0);
        User u = e.harness().user(0);
        refusal(redeem(e, u, "WWWW-WWWW-WWWW-WWWW-WWWW", freshAddress()));
        expect(redeem(e, u, good, freshAddress()), 200);
        String count = "SELECT COUNT(*) FROM apimodels_redemption_attempt WHERE scope = 'account' AND subject = '" + u.id() + "'";
        assertThat(rows(e, count)).containsExactly("1");

        String email = json(e.harness().get("/api/v1/account", u.key())).get("email").asText();
        expect(e.harness().call(MockExchange.delete("/api/v1/account").bearer(u.key())
                .json("{\"confirm_email\":\"" + email + "\"}")), 200);
        assertThat(rows(e, count)).containsExactly("0");
        assertThat(rows(e, "SELECT state, redeemed_by FROM apimodels_redemption_code WHERE redeemed_by = " + u.id()))
                .containsExactly("used\t" + u.id());
    }

    @ParameterizedTest
    @EnumSource(TestDatabases.class)
    void onlyAdminsManageBatches(TestDatabases kind) throws Exception {
        Engine e = on(kind);
        User u = e.harness().user(0);
        long id = batch(e, 1, 1_000, "").get("id").asLong();
        expect(e.harness().post("/admin/redemption-batches", u.key(), "{\"count\":1,\"amount_micros\":1000}"), 403);
        expect(e.harness().get("/admin/redemption-batches", u.key()), 403);
        expect(e.harness().get("/admin/redemption-batches/" + id, u.key()), 403);
        expect(e.harness().post("/admin/redemption-batches/" + id + "/disable", u.key(), ""), 403);
        expect(e.harness().post("/admin/redemption-codes/1/disable", u.key(), ""), 403);
        expect(e.harness().call(MockExchange.get("/admin/redemption-batches")), 401);
        expect(e.harness().call(MockExchange.post("/api/v1/billing/redeem").json("{\"code\":\"x\"}")), 401);
        assertThat(json(e.harness().get("/admin/redemption-batches/" + id, ADMIN_KEY)).get("unused").asInt()).isEqualTo(1);
    }

    @ParameterizedTest
    @EnumSource(TestDatabases.class)
    void badInputIsA400NamingTheField(TestDatabases kind) throws Exception {
        Engine e = on(kind);
        Map<String, String> cases = Map.of(
                "{\"amount_micros\":1000}", "count",
                "{\"count\":0,\"amount_micros\":1000}", "count",
                "{\"count\":101,\"amount_micros\":1000}", "count",
                "{\"count\":1}", "amount_micros",
                "{\"count\":1,\"amount_micros\":0}", "amount_micros",
                "{\"count\":1,\"amount_micros\":50000001}", "amount_micros",
                "{\"count\":1,\"amount_micros\":1000,\"expires_at\":1}", "expires_at",
                "{\"count\":1,\"amount_micros\":1000,\"note\":\"" + "n".repeat(501) + "\"}", "note",
                "{\"count\":\"many\",\"amount_micros\":1000}", "count");
        cases.forEach((body, field) -> {
            MockExchange.Answer a = e.harness().post("/admin/redemption-batches", ADMIN_KEY, body);
            assertThat(a.status()).as(body + " → " + a).isEqualTo(400);
            assertThat(json(a).get("param").asText()).as(body).isEqualTo(field);
        });
        User u = e.harness().user(0);
        for (String body : List.of("{}", "{\"code\":12}", "{\"code\":\"" + "A".repeat(101) + "\"}")) {
            MockExchange.Answer a = e.harness().call(MockExchange.post("/api/v1/billing/redeem").bearer(u.key())
                    .remoteAddress(freshAddress()).json(body));
            assertThat(a.status()).as(body + " → " + a).isEqualTo(400);
            assertThat(json(a).get("param").asText()).isEqualTo("code");
        }
        assertThat(rows(e, "SELECT COUNT(*) FROM apimodels_redemption_batch WHERE note LIKE 'nnn%'")).containsExactly("0");
    }

    /** Σ balances = 0, each balance = its credits − its debits, no wallet or hold below zero. */
    @AfterEach
    void booksBalance() throws Exception {
        if (current == null) {
            return;
        }
        expect(current.harness().get("/admin/redemption-batches", ADMIN_KEY), 200); // any admin call: the engine is answering
        assertThat(rows(current, "SELECT COALESCE(SUM(balance), 0) FROM apimodels_ledger_account")).containsExactly("0");
        assertThat(rows(current, """
                SELECT COUNT(*) FROM apimodels_ledger_account la WHERE la.balance <>
                  COALESCE((SELECT SUM(amount) FROM apimodels_transfer t WHERE t.credit_id = la.id), 0)
                - COALESCE((SELECT SUM(amount) FROM apimodels_transfer t WHERE t.debit_id = la.id), 0)""")).containsExactly("0");
        assertThat(rows(current, "SELECT COUNT(*) FROM apimodels_ledger_account WHERE kind IN ('wallet', 'hold') AND balance < 0"))
                .containsExactly("0");
        // What was redeemed is what the promotions source gave.
        assertThat(rows(current, "SELECT -balance FROM apimodels_ledger_account WHERE owner_id IS NULL AND kind = 'promotions'"))
                .isEqualTo(rows(current, "SELECT COALESCE(SUM(b.amount), 0) FROM apimodels_redemption_code c "
                        + "JOIN apimodels_redemption_batch b ON b.id = c.batch_id WHERE c.state = 'used'"));
    }

    /** Each row of a query, its columns joined by tabs (the database as the engine left it). */
    private static List<String> rows(Engine e, String query) throws SQLException {
        try (Connection c = DriverManager.getConnection(e.db().get("apimodels.db.url"), e.db().get("apimodels.db.user"),
                e.db().get("apimodels.db.password"));
             Statement s = c.createStatement();
             ResultSet rs = s.executeQuery(query)) {
            List<String> rows = new ArrayList<>();
            int n = rs.getMetaData().getColumnCount();
            while (rs.next()) {
                StringBuilder row = new StringBuilder();
                for (int i = 1; i <= n; i++) {
                    row.append(i > 1 ? "\t" : "").append(rs.getString(i));
                }
                rows.add(row.toString());
            }
            return rows;
        }
    }
}
