package app.apimodels.core.testing;

import app.apimodels.core.ApiModels;
import app.apimodels.core.config.ConfigSource;
import app.apimodels.core.web.Json;
import app.apimodels.spi.web.Response;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The engine in process, on a real database, with the {@link TestProvider} behind a chat, an
 * embedding and an image model; requests go through {@link MemoryExchange}s.
 */
public final class InProcessEngine implements AutoCloseable {

    public static final String ADMIN_KEY = "test-admin-" + UUID.randomUUID();
    public static final String CATALOG = """
            providers:
              - { id: up, type: test, base-url: "http://upstream.invalid", api-key: test-key }
            models:
              - id: test-chat
                kind: chat
                routes: [ { provider: up, upstream-model: m } ]
                price: { input-per-1m-tokens: 10, output-per-1m-tokens: 30 }
              - id: test-embedding
                kind: embedding
                routes: [ { provider: up, upstream-model: e } ]
                price: { input-per-1m-tokens: 1 }
              - id: test-image
                kind: image
                routes: [ { provider: up, upstream-model: i } ]
                price: { per-image: 0.01 }
            """;

    public final TestProvider provider = new TestProvider();
    public final ApiModels engine;

    public InProcessEngine(TestDatabases db, Path dir, Map<String, String> extra) {
        try {
            Path catalog = dir.resolve("catalog.yaml");
            Files.writeString(catalog, CATALOG);
            Map<String, String> settings = new HashMap<>(db.settings());
            settings.put("apimodels.data-dir", dir.resolve("data").toString());
            settings.put("apimodels.catalog", catalog.toString());
            settings.put("apimodels.bootstrap.admin-key", ADMIN_KEY);
            settings.putAll(extra);
            engine = ApiModels.builder().config(ConfigSource.of(settings)).provider(provider).build();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Starts a request; the caller waits on {@link MemoryExchange#answer()} (or leaves). */
    public MemoryExchange start(String method, String target, String key, byte[] body, Map<String, String> headers) {
        Map<String, String> h = new HashMap<>(headers);
        if (key != null) {
            h.put("Authorization", "Bearer " + key);
        }
        if (body != null && !h.containsKey("Content-Type")) {
            h.put("Content-Type", "application/json");
        }
        MemoryExchange ex = new MemoryExchange(method, target, h, body, engine.maxBodyBytes());
        engine.handle(ex);
        return ex;
    }

    public Response send(String method, String target, String key, String body) {
        return await(start(method, target, key, body == null ? null : body.getBytes(StandardCharsets.UTF_8), Map.of()));
    }

    public static Response await(MemoryExchange ex) {
        try {
            return ex.answer().get(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        } catch (ExecutionException | TimeoutException e) {
            throw new AssertionError("no answer to " + ex.method() + " " + ex.path(), e);
        }
    }

    public static Map<String, Object> json(Response r) {
        return Json.object(r.body());
    }

    /** A new user with {@code micros} granted and a key. */
    public User user(long micros) {
        Response created = expect(send("POST", "/admin/users", ADMIN_KEY, "{\"email\":\"u-" + UUID.randomUUID() + "@example.com\"}"), 201);
        long id = ((Number) json(created).get("id")).longValue();
        if (micros > 0) {
            expect(send("POST", "/admin/users/" + id + "/credits", ADMIN_KEY,
                    "{\"amount_micros\":" + micros + ",\"idempotency_key\":\"" + UUID.randomUUID() + "\"}"), 201);
        }
        String key = (String) json(expect(send("POST", "/admin/users/" + id + "/keys", ADMIN_KEY, "{}"), 201)).get("key");
        return new User(id, key);
    }

    public record User(long id, String key) {
    }

    /** The account's {@code balance_micros} and {@code held_micros}, as the account API reports them. */
    public long[] money(User u) {
        Map<String, Object> a = json(expect(send("GET", "/api/v1/account", u.key(), null), 200));
        return new long[] {((Number) a.get("balance_micros")).longValue(), ((Number) a.get("held_micros")).longValue()};
    }

    public static Response expect(Response r, int status) {
        if (r.status() != status) {
            throw new AssertionError("expected " + status + " but got " + r.status() + ": " + new String(r.body(), StandardCharsets.UTF_8));
        }
        return r;
    }

    @Override
    public void close() {
        engine.close();
    }
}
