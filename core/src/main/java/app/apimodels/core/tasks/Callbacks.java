package app.apimodels.core.tasks;

import app.apimodels.core.db.Sql;
import app.apimodels.core.fetch.FetchException;
import app.apimodels.core.fetch.SafeFetcher;
import app.apimodels.core.keys.ApiKeys;
import app.apimodels.core.media.MediaApi;
import app.apimodels.core.web.Json;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.Map;
import java.util.Optional;

/**
 * Tells a client's {@code callback_url} that its task ended: one POST of the task JSON, signed
 * {@code X-Apimodels-Signature: t=<unix>,v1=<hex HMAC-SHA256(account webhook secret, t + "." + body)>},
 * retried after 1, 2 and 4 seconds (10 seconds per try), then in the background with growing
 * pauses until 30 minutes after the task ended. Only a 2xx counts as delivered.
 */
final class Callbacks {

    static final String HEADER = "X-Apimodels-Signature";
    private static final System.Logger LOG = System.getLogger(Callbacks.class.getName());
    private static final Duration TRY_TIMEOUT = Duration.ofSeconds(10);
    private static final Duration GIVE_UP_AFTER = Duration.ofMinutes(30);
    private static final long[] QUICK_RETRIES_MS = {1_000, 2_000, 4_000};

    private final Sql sql;
    private final Clock clock;
    private final SafeFetcher fetcher;
    private final TaskStore store;
    private final TaskViews views;

    Callbacks(Sql sql, TaskStore store, Clock clock, SafeFetcher fetcher, TaskViews views) {
        this.sql = sql;
        this.store = store;
        this.clock = clock;
        this.fetcher = fetcher;
        this.views = views;
    }

    /** One delivery attempt (the callback job); returns when to try again, or null when done. */
    Instant deliver(String taskId) {
        Optional<Task> found = store.load(taskId);
        if (found.isEmpty() || found.get().callbackState() != Task.CallbackState.PENDING) {
            return null;
        }
        Task task = found.get();
        byte[] body = Json.bytes(MediaApi.envelope(views.view(task)));
        long t = clock.millis() / 1000;
        String signature = "t=" + t + ",v1=" + sign(secret(task.accountId(), false), t, body);
        int status = 0;
        String error;
        try {
            status = fetcher.post(URI.create(task.callbackUrl()), body, "application/json",
                    Map.of(HEADER, signature, "User-Agent", "apimodels-callbacks/1"), TRY_TIMEOUT);
            error = status / 100 == 2 ? null : "HTTP " + status;
        } catch (FetchException e) {
            error = e.getMessage();
        }
        int tries = task.callbackTries() + 1;
        if (error == null) {
            store.callbackTried(taskId, tries, Task.CallbackState.DELIVERED);
            return null;
        }
        long endedAt = task.completedAt() == null ? clock.millis() : task.completedAt();
        long next = clock.millis() + (tries <= QUICK_RETRIES_MS.length ? QUICK_RETRIES_MS[tries - 1]
                : Math.min(300_000, 15_000L << Math.min(tries - QUICK_RETRIES_MS.length - 1, 5)));
        if (next > endedAt + GIVE_UP_AFTER.toMillis()) {
            LOG.log(System.Logger.Level.INFO, "gave up notifying the callback of task {0} after {1} tries: {2}", taskId, tries, error);
            store.callbackTried(taskId, tries, Task.CallbackState.GAVE_UP);
            return null;
        }
        store.callbackTried(taskId, tries, null);
        return Instant.ofEpochMilli(next);
    }

    /**
     * The account's secret for callback signatures, created on first use; {@code rotate} replaces
     * it (callbacks already signed with the old one are not re-sent).
     */
    String secret(long accountId, boolean rotate) {
        if (!rotate) {
            Optional<String> existing = sql.one("SELECT COALESCE(webhook_secret, '') FROM apimodels_account WHERE id = ?",
                    rs -> rs.getString(1), accountId);
            if (existing.isPresent() && !existing.get().isEmpty()) {
                return existing.get();
            }
        }
        String fresh = "whsec_" + HexFormat.of().formatHex(ApiKeys.randomBytes(24));
        if (rotate) {
            sql.update("UPDATE apimodels_account SET webhook_secret = ? WHERE id = ?", fresh, accountId);
        } else {
            // Two first uses at once must agree on one secret.
            sql.update("UPDATE apimodels_account SET webhook_secret = ? WHERE id = ? AND webhook_secret IS NULL", fresh, accountId);
        }
        return sql.one("SELECT webhook_secret FROM apimodels_account WHERE id = ?", rs -> rs.getString(1), accountId).orElseThrow();
    }

    static String sign(String secret, long t, byte[] body) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
            mac.update((t + ".").getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(mac.doFinal(body));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }
}
