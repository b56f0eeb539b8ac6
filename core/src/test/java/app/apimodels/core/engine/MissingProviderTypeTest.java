package app.apimodels.core.engine;

import app.apimodels.core.metrics.Scrape;
import app.apimodels.core.testing.TestDatabases;
import app.apimodels.spi.http.HttpTransport;
import app.apimodels.spi.provider.ModelProvider;
import app.apimodels.spi.provider.ProviderClient;
import app.apimodels.spi.provider.ProviderConfig;
import app.apimodels.testkit.MockMedia;
import app.apimodels.testkit.web.MockExchange;
import app.apimodels.spi.provider.TaskOutput;
import app.apimodels.spi.provider.TaskState;
import app.apimodels.spi.provider.TaskUpdate;
import com.fasterxml.jackson.databind.JsonNode;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;

import static app.apimodels.core.engine.EngineHarness.ADMIN_KEY;
import static app.apimodels.core.engine.EngineHarness.expect;
import static app.apimodels.core.engine.EngineHarness.json;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Two nodes on one database, one built without a provider type the stored catalog names (a WAR
 * without one integration, a rolling upgrade): that node starts, says which provider it cannot
 * call, routes its models around it, answers a model it cannot serve with a 503 naming the
 * provider, refuses to save an entry it cannot check and leaves the provider's tasks to a node that
 * can poll them — while the node that has the type serves it.
 */
class MissingProviderTypeTest {

    static final String ELSEWHERE = "elsewhere";
    static final String PRICE = "price: { input-per-1m-tokens: 10, output-per-1m-tokens: 30 }";
    /** The full node's catalog file: the harness's provider {@code up} and one of a type only that node has. */
    static final String FULL_CATALOG = """
            providers:
              - { id: up, type: scripted, base-url: http://upstream.invalid, api-key: sk-upstream-secret-123 }
              - { id: far, type: elsewhere, base-url: http://far.invalid, api-key: sk-far-secret-4567 }
            models:
              - id: mixed
                kind: chat
                routes: [ { provider: far, upstream-model: far-chat, priority: 1 }, { provider: up, upstream-model: up-chat, priority: 2 } ]
                %s
              - id: far-only
                kind: chat
                routes: [ { provider: far, upstream-model: far-chat } ]
                %s
              - id: far-image
                kind: image
                routes: [ { provider: far, upstream-model: far-image } ]
                price: { per-image: 0.04 }
            """.formatted(PRICE, PRICE);

    static String chat(String model) {
        return "{\"model\":\"" + model + "\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"max_tokens\":5}";
    }

    @ParameterizedTest
    @EnumSource(TestDatabases.class)
    void aNodeWithoutAProviderTypeStartsAndRoutesAroundIt(TestDatabases db, @TempDir Path dir) throws Exception {
        Map<String, String> database = db.settings();
        Path fullCatalog = dir.resolve("full-catalog.yaml");
        Files.writeString(fullCatalog, FULL_CATALOG);
        Map<String, String> fullSettings = new HashMap<>(database);
        fullSettings.put("apimodels.catalog", fullCatalog.toString());
        ScriptedProvider far = new ScriptedProvider();
        ModelProvider elsewhere = new ModelProvider() {
            @Override
            public String type() {
                return ELSEWHERE;
            }

            @Override
            public ProviderClient create(ProviderConfig config, HttpTransport transport) {
                return far.create(config, transport);
            }
        };
        Files.createDirectories(dir.resolve("full"));
        Files.createDirectories(dir.resolve("lean"));
        try (EngineHarness full = EngineHarness.start(dir.resolve("full"), fullSettings, b -> b.provider(elsewhere));
             // The harness's own catalog file (provider 'up' only), on the database the full node stored 'far' in.
             EngineHarness lean = EngineHarness.start(dir.resolve("lean"), database)) {
            EngineHarness.User u = lean.user(1_000_000);

            // The node that has the type serves the model through it.
            expect(full.post("/v1/chat/completions", u.key(), chat("far-only")), 200);
            assertThat(far.keysUsed).containsExactly("sk-far-secret-4567");

            // The lean node skips the route it cannot call and uses the model's other route.
            expect(lean.post("/v1/chat/completions", u.key(), chat("mixed")), 200);
            assertThat(lean.upstream.keysUsed).containsExactly("sk-upstream-secret-123");
            assertThat(far.keysUsed).hasSize(1);

            // With no route left: a 503 naming the provider, nothing held or charged.
            long[] before = lean.money(u);
            MockExchange.Answer refused = expect(lean.post("/v1/chat/completions", u.key(), chat("far-only")), 503);
            JsonNode error = json(refused).get("error");
            assertThat(error.get("message").asText()).isEqualTo("model 'far-only' cannot be served by this node: its provider 'far' is not available here");
            assertThat(error.get("param").asText()).isEqualTo("model");
            assertThat(refused.bodyText()).doesNotContain("Exception").doesNotContain("sk-far");
            assertThat(lean.money(u)).isEqualTo(before);

            // The operator sees which provider and why, in the catalog view and as a metric.
            JsonNode catalog = json(expect(lean.get("/admin/catalog", ADMIN_KEY), 200));
            JsonNode farView = null;
            for (JsonNode p : catalog.get("providers")) {
                if (p.get("id").asText().equals("far")) {
                    farView = p;
                } else {
                    assertThat(p.has("unavailable")).as(p.toString()).isFalse();
                }
            }
            assertThat(farView).isNotNull();
            assertThat(farView.get("unavailable").asText()).contains("no provider of type 'elsewhere'");
            assertThat(json(expect(full.get("/admin/catalog", ADMIN_KEY), 200)).toString()).doesNotContain("unavailable");
            assertThat(Scrape.parse(lean.get("/metrics", null).bodyText()).value("apimodels_catalog_providers_unavailable")).contains(1.0);
            assertThat(Scrape.parse(full.get("/metrics", null).bodyText()).value("apimodels_catalog_providers_unavailable")).contains(0.0);

            // Saving an entry the lean node cannot build is refused, naming the field; other saves still work.
            MockExchange.Answer type = expect(lean.call(MockExchange.builder("PUT", "/admin/catalog/providers/far2").bearer(ADMIN_KEY)
                    .json("{\"type\":\"elsewhere\",\"base-url\":\"http://far2.invalid\",\"api-key\":\"sk-x\"}")), 400);
            assertThat(json(type).get("param").asText()).isEqualTo("type");
            assertThat(json(type).get("detail").asText()).contains("no provider of type 'elsewhere'");
            MockExchange.Answer transport = expect(lean.call(MockExchange.builder("PUT", "/admin/catalog/providers/far2").bearer(ADMIN_KEY)
                    .json("{\"type\":\"scripted\",\"base-url\":\"http://far2.invalid\",\"api-key\":\"sk-x\",\"transport\":\"carrier-pigeon\"}")), 400);
            assertThat(json(transport).get("param").asText()).isEqualTo("transport");
            expect(lean.call(MockExchange.builder("PUT", "/admin/catalog/models/lean-chat").bearer(ADMIN_KEY)
                    .json("{\"kind\":\"chat\",\"routes\":[{\"provider\":\"up\",\"upstream-model\":\"x\"}],\"price\":{\"input-per-1m-tokens\":1}}")), 200);
            expect(lean.post("/v1/chat/completions", u.key(), chat("lean-chat")), 200);

            // A task on that provider is never failed by the lean node, whose job runner takes its
            // turns too: a node that has the provider polls it to the end.
            AtomicInteger polls = new AtomicInteger();
            far.onSubmit = r -> CompletableFuture.completedFuture(TaskUpdate.pending("far-task", TaskState.RUNNING));
            far.onPoll = id -> CompletableFuture.completedFuture(polls.incrementAndGet() < 3 ? TaskUpdate.pending(id, TaskState.RUNNING)
                    : TaskUpdate.succeeded(id, List.of(TaskOutput.bytes(MockMedia.sample("image/png"), "image/png")), null));
            String task = json(expect(full.post("/api/v1/images/generations", u.key(), "{\"model\":\"far-image\",\"prompt\":\"a cat\"}"), 200))
                    .at("/data/taskId").asText();
            String state = Awaitility.await().atMost(EngineHarness.WAIT).until(() -> json(expect(lean.get(
                    "/api/v1/images/generations?task_id=" + task, u.key()), 200)).at("/data/state").asText(), s -> !s.equals("pending"));
            assertThat(state).isEqualTo("completed");
            assertThat(polls).hasValue(3);
            // Its webhooks are refused for now (another node can verify them), not called unknown.
            MockExchange.Answer webhook = expect(lean.call(MockExchange.post("/webhooks/providers/far").json("{\"request_id\":\"far-task\"}")), 503);
            assertThat(json(webhook).get("detail").asText()).isEqualTo("provider 'far' is not available on this node");
            expect(lean.call(MockExchange.post("/webhooks/providers/nowhere").json("{}")), 404);
        }
    }
}
