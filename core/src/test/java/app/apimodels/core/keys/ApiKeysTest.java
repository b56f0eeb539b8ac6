package app.apimodels.core.keys;

import app.apimodels.core.accounts.Account;
import app.apimodels.core.accounts.Accounts;
import app.apimodels.core.accounts.Role;
import app.apimodels.core.config.Settings;
import app.apimodels.core.db.Database;
import app.apimodels.core.db.Sql;
import app.apimodels.core.testing.MutableClock;
import app.apimodels.core.testing.TestDatabases;
import app.apimodels.core.failure.Failure;
import app.apimodels.core.web.FailureMapping;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ApiKeysTest {

    private final MutableClock clock = new MutableClock();
    private Database db;
    private Sql sql;
    private ApiKeys keys;
    private Accounts accounts;

    private void open(TestDatabases kind) {
        db = Database.open(null, new Settings(kind.config(Map.of())));
        sql = new Sql(db);
        keys = new ApiKeys(sql, clock, "pepper-pepper-pepper-pepper-pepper".getBytes(), Duration.ofMinutes(10));
        accounts = new Accounts(sql, clock);
    }

    @AfterEach
    void close() {
        if (db != null) {
            db.close();
        }
    }

    @ParameterizedTest
    @EnumSource(TestDatabases.class)
    void keysAreStoredOnlyAsHmacAndShownOnce(TestDatabases kind) {
        open(kind);
        Account a = accounts.create("a@example.com", "correct horse battery", Role.USER);
        NewKey k = keys.create(a.id(), new KeyOptions("ci", null, Set.of("gpt-4o-mini"), 5_000L));
        assertThat(k.secret()).startsWith("sk-am-").hasSizeGreaterThan(40);
        assertThat(k.key().prefix()).isEqualTo(k.secret().substring(0, 10));
        assertThat(k.key().last4()).isEqualTo(k.secret().substring(k.secret().length() - 4));
        assertThat(sql.one("SELECT COUNT(*) FROM apimodels_api_key WHERE hash = ?", rs -> rs.getLong(1), k.secret())).contains(0L);
        assertThat(sql.one("SELECT hash FROM apimodels_api_key WHERE id = ?", rs -> rs.getString(1), k.key().id()))
                .contains(keys.hash(k.secret()));
        ApiKey authenticated = keys.authenticate(k.secret());
        assertThat(authenticated.accountId()).isEqualTo(a.id());
        assertThat(authenticated.allows("gpt-4o-mini")).isTrue();
        assertThat(authenticated.allows("other")).isFalse();
        assertThat(authenticated.spendLimit()).isEqualTo(5_000L);
    }

    @ParameterizedTest
    @EnumSource(TestDatabases.class)
    void revocationTakesEffectAtOnceOnThisNodeDespiteTheCache(TestDatabases kind) {
        open(kind);
        Account a = accounts.create("b@example.com", null, Role.USER);
        NewKey k = keys.create(a.id(), KeyOptions.named("x"));
        keys.authenticate(k.secret()); // cached now, for ten minutes
        keys.revoke(a.id(), k.key().id());
        assertThatThrownBy(() -> keys.authenticate(k.secret())).hasMessageContaining("revoked");
    }

    @ParameterizedTest
    @EnumSource(TestDatabases.class)
    void anotherAccountsKeyIsNotFoundAndExpiredKeysAreRefused(TestDatabases kind) {
        open(kind);
        Account a = accounts.create("c@example.com", null, Role.USER);
        Account b = accounts.create("d@example.com", null, Role.USER);
        NewKey k = keys.create(a.id(), new KeyOptions("soon", clock.millis() + 60_000, Set.of(), null));
        assertThatThrownBy(() -> keys.revoke(b.id(), k.key().id()))
                .isInstanceOf(Failure.class).extracting(e -> FailureMapping.status(((Failure) e).reason())).isEqualTo(404);
        assertThat(keys.list(b.id())).isEmpty();
        keys.authenticate(k.secret());
        clock.advance(Duration.ofMinutes(2));
        assertThatThrownBy(() -> keys.authenticate(k.secret())).hasMessageContaining("expired");
        assertThatThrownBy(() -> keys.authenticate("sk-am-not-a-key")).hasMessageContaining("invalid API key");
    }

    @ParameterizedTest
    @EnumSource(TestDatabases.class)
    void lastUseIsRecordedWithoutAWritePerCall(TestDatabases kind) {
        open(kind);
        Account a = accounts.create("e@example.com", null, Role.USER);
        NewKey k = keys.create(a.id(), KeyOptions.named("x"));
        keys.authenticate(k.secret());
        assertThat(keys.list(a.id()).get(0).lastUsedAt()).isNull();
        keys.flushLastUsed();
        assertThat(keys.list(a.id()).get(0).lastUsedAt()).isEqualTo(clock.millis());
        assertThatThrownBy(() -> accounts.create("E@example.com ", null, Role.USER))
                .extracting(e -> FailureMapping.status(((Failure) e).reason())).isEqualTo(409);
    }

    /** The HMACs kept ready between hashes are never used by two threads at once, nor left unkeyed. */
    @Test
    void hashesFromManyThreadsAtOnceAreThePeppersHmac() throws Exception {
        byte[] pepper = "pepper-pepper-pepper-pepper-pepper".getBytes(StandardCharsets.UTF_8);
        ApiKeys hashing = new ApiKeys(null, clock, pepper, Duration.ofMinutes(10));
        Mac reference = Mac.getInstance("HmacSHA256");
        reference.init(new SecretKeySpec(pepper, "HmacSHA256"));
        List<String> secrets = new ArrayList<>();
        List<String> expected = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            String secret = "sk-am-" + "x".repeat(i % 50) + i;
            secrets.add(secret);
            expected.add(HexFormat.of().formatHex(reference.doFinal(secret.getBytes(StandardCharsets.UTF_8))));
        }
        ExecutorService threads = Executors.newFixedThreadPool(24);
        try {
            List<Future<Integer>> done = new ArrayList<>();
            for (int t = 0; t < 24; t++) {
                int offset = t;
                done.add(threads.submit(() -> {
                    int wrong = 0;
                    for (int n = 0; n < 2_000; n++) {
                        int i = (n * 7 + offset) % secrets.size();
                        if (!hashing.hash(secrets.get(i)).equals(expected.get(i))) {
                            wrong++;
                        }
                    }
                    return wrong;
                }));
            }
            for (Future<Integer> f : done) {
                assertThat(f.get()).as("hashes that were not the pepper's HMAC of their secret").isZero();
            }
        } finally {
            threads.shutdownNow();
        }
    }
}
