package app.apimodels.bench.jmh;

import app.apimodels.core.ApiModels;
import app.apimodels.core.config.ConfigSource;
import app.apimodels.spi.http.Cancellable;
import app.apimodels.spi.http.HttpBodyHandler;
import app.apimodels.spi.http.HttpRequestSpec;
import app.apimodels.spi.http.HttpResponseData;
import app.apimodels.spi.http.HttpTransport;
import app.apimodels.spi.http.HttpTransportFactory;
import app.apimodels.spi.http.TransportOptions;
import app.apimodels.spi.web.Exchange;
import app.apimodels.testkit.web.MockExchange;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The engine as the quickstart embeds it, on its own H2 file in a temporary directory, with an
 * in-memory upstream and one funded account's key: what the benchmarks that drive whole calls share.
 * Public model {@code m} is routed to the upstream's {@code upstream-m} (so answers have their model
 * name rewritten, as a reseller's do).
 */
final class BenchEngine implements AutoCloseable {

    private static final String ADMIN_KEY = "bench-admin-key-" + UUID.randomUUID();
    private static final Pattern CREATED_ID = Pattern.compile("\"id\"\\s*:\\s*(\\d+)");
    private static final Pattern KEY = Pattern.compile("\"key\"\\s*:\\s*\"([^\"]+)\"");

    final ApiModels engine;
    /** The funded account's API key. */
    final String key;
    private final Path dir;

    BenchEngine(HttpTransportFactory upstream, Map<String, String> config) throws IOException {
        this(upstream, "openai", config);
    }

    /** @param providerType the upstream's provider type ({@code openai}, {@code anthropic}, {@code gemini}) */
    BenchEngine(HttpTransportFactory upstream, String providerType, Map<String, String> config) throws IOException {
        dir = Files.createTempDirectory("apimodels-jmh");
        Path catalog = dir.resolve("catalog.yaml");
        Files.writeString(catalog, """
                providers:
                  - { id: up, type: %s, base-url: "http://upstream.invalid/v1", api-key: sk-bench, timeout-seconds: 30 }
                models:
                  - id: m
                    kind: chat
                    routes: [ { provider: up, upstream-model: upstream-m } ]
                    price: { input-per-1m-tokens: 0.15, output-per-1m-tokens: 0.60 }
                """.formatted(providerType));
        Map<String, String> settings = new HashMap<>(Map.of(
                "apimodels.data-dir", dir.resolve("data").toString(),
                "apimodels.catalog", catalog.toString(),
                "apimodels.bootstrap.admin-key", ADMIN_KEY,
                "apimodels.keys.pepper", "bench-pepper-of-at-least-thirty-two-characters"));
        settings.putAll(config);
        engine = ApiModels.builder().config(ConfigSource.of(settings)).transport(upstream).build();
        String user = expect(send(MockExchange.post("/admin/users").json("{\"email\":\"bench-" + UUID.randomUUID() + "@example.com\"}")
                .bearer(ADMIN_KEY)), 201);
        String id = group(CREATED_ID, user);
        expect(send(MockExchange.post("/admin/users/" + id + "/credits").bearer(ADMIN_KEY)
                .json("{\"amount_micros\":1000000000000,\"reason\":\"bench\",\"idempotency_key\":\"bench-" + id + "\"}")), 201);
        key = group(KEY, expect(send(MockExchange.post("/admin/users/" + id + "/keys").bearer(ADMIN_KEY).json("{\"name\":\"bench\"}")), 201));
    }

    /** Sends a request and waits for its whole answer. */
    MockExchange.Answer send(MockExchange.Builder request) {
        MockExchange exchange = request.build();
        engine.handle(exchange);
        return exchange.awaitAnswer(Duration.ofSeconds(10));
    }

    /** Hands an exchange to the engine (on this thread, as a server's request thread would). */
    void handle(Exchange exchange) {
        engine.handle(exchange);
    }

    @Override
    public void close() throws IOException {
        engine.close();
        try (var files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    static String expect(MockExchange.Answer answer, int status) {
        if (answer.status() != status) {
            throw new IllegalStateException("expected " + status + ": " + answer);
        }
        return answer.bodyText();
    }

    private static String group(Pattern pattern, String text) {
        Matcher m = pattern.matcher(text);
        if (!m.find()) {
            throw new IllegalStateException(pattern + " not in " + text);
        }
        return m.group(1);
    }

    /**
     * An upstream answering every call at once, on the caller's thread, with {@code answer}, and
     * handing each stream's handler to whoever waits on {@link #opened} (the benchmark then plays
     * the transport).
     */
    static final class Upstream implements HttpTransportFactory, HttpTransport {
        private final byte[] answer;
        volatile CompletableFuture<HttpBodyHandler> opened = new CompletableFuture<>();

        Upstream(byte[] answer) {
            this.answer = answer;
        }

        @Override
        public String name() {
            return "in-memory";
        }

        @Override
        public int preference() {
            return Integer.MAX_VALUE;
        }

        @Override
        public HttpTransport create(TransportOptions options) {
            return this;
        }

        @Override
        public CompletableFuture<HttpResponseData> send(HttpRequestSpec request) {
            return CompletableFuture.completedFuture(new HttpResponseData(200, Map.of("content-type", "application/json"), answer));
        }

        @Override
        public Cancellable stream(HttpRequestSpec request, HttpBodyHandler handler) {
            opened.complete(handler);
            return () -> { };
        }

        @Override
        public void close() {
        }
    }
}
