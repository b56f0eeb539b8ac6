package app.apimodels.quickstart.e2e;

import app.apimodels.core.config.ConfigSource;
import app.apimodels.core.testing.TestDatabases;
import app.apimodels.quickstart.Quickstart;
import app.apimodels.testkit.MockOpenAiUpstream;
import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;

import java.net.Socket;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The catalog admin API, start-up validation, operations endpoints and graceful shutdown. */
class OperationsTest extends EndToEndTest {

    private static final String CHAT = "{\"model\":\"%s\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"max_tokens\":50}";



    @Test
    void theCatalogIsEditableThroughTheAdminApiAndValidatedFirst() throws Exception {
        gateway = Gateway.start(TestDatabases.H2, Catalogs.openAi(upstream.baseUrl(), null, "jdk", 30), dir, Map.of());
        Gateway.User u = gateway.user(1_000_000);
        String admin = Gateway.ADMIN_KEY;

        HttpResponse<String> put = gateway.send("PUT", "/admin/catalog/models/cheap-chat", admin, """
                {"kind":"chat","markup":50,"routes":[{"provider":"primary","upstream-model":"mock-model"}],
                 "price":{"input-per-1m-tokens":2,"output-per-1m-tokens":4}}""");
        Gateway.expect(put, 200);
        assertThat(Gateway.json(gateway.send("GET", "/v1/models", u.key(), null)).findValuesAsText("id")).contains("cheap-chat");
        Gateway.expect(gateway.send("POST", "/v1/chat/completions", u.key(), CHAT.formatted("cheap-chat")), 200);
        // (11 × 2 + 5 × 4) = 42 micros per 1M… → 42e-6 × 1.5 markup = 63 micros
        assertThat(gateway.balance(u)).isEqualTo(1_000_000 - 63);

        HttpResponse<String> bad = gateway.send("PUT", "/admin/catalog/models/broken", admin,
                "{\"kind\":\"chat\",\"routes\":[{\"provider\":\"primary\",\"upstream-model\":\"m\"}],\"price\":{\"input-per-1m-tokens\":-1}}");
        assertThat(bad.statusCode()).isEqualTo(400);
        assertThat(Gateway.json(bad).get("detail").asText()).contains("price.input-per-1m-tokens").contains("negative");
        HttpResponse<String> unknownProvider = gateway.send("PUT", "/admin/catalog/models/orphan", admin,
                "{\"kind\":\"chat\",\"routes\":[{\"provider\":\"nope\",\"upstream-model\":\"m\"}],\"price\":{\"per-request\":1}}");
        assertThat(unknownProvider.statusCode()).isEqualTo(400);
        assertThat(gateway.send("DELETE", "/admin/catalog/providers/primary", admin, null).statusCode()).isEqualTo(409);

        JsonNode catalog = Gateway.json(Gateway.expect(gateway.send("GET", "/admin/catalog", admin, null), 200));
        // The upstream secret is never shown; a ${ENV} reference is (it is not a secret).
        assertThat(catalog.toString()).doesNotContain("sk-upstream-secret-123").contains("${TEST_UPSTREAM_KEY");

        Gateway.expect(gateway.send("DELETE", "/admin/catalog/models/cheap-chat", admin, null), 204);
        assertThat(gateway.send("POST", "/v1/chat/completions", u.key(), CHAT.formatted("cheap-chat")).statusCode()).isEqualTo(404);
    }

    @Test
    void aBadCatalogStopsStartUpNamingFileLineAndField() throws Exception {
        String bad = Catalogs.openAi(upstream.baseUrl(), null, "jdk", 30).replace("kind: chat", "kind: chatt");
        assertThatThrownBy(() -> Gateway.start(TestDatabases.H2, bad, dir, Map.of()))
                .hasMessageContaining("catalog.yaml:").hasMessageContaining("models[0].kind");
        String unknownTransport = Catalogs.openAi(upstream.baseUrl(), null, "carrier-pigeon", 30);
        assertThatThrownBy(() -> Gateway.start(TestDatabases.H2, unknownTransport, dir, Map.of()))
                .hasMessageContaining("provider 'primary'").hasMessageContaining("carrier-pigeon");
    }

    @Test
    void healthMetricsAndOpenApiAreServed() throws Exception {
        gateway = Gateway.start(TestDatabases.H2, Catalogs.openAi(upstream.baseUrl(), null, "jdk", 30), dir, Map.of());
        Gateway.User u = gateway.user(1_000_000);
        Gateway.expect(gateway.send("POST", "/v1/chat/completions", u.key(), CHAT.formatted("test-chat")), 200);
        assertThat(Gateway.json(Gateway.expect(gateway.send("GET", "/health/ready", null, null), 200)).get("status").asText())
                .isEqualTo("UP");
        assertThat(Gateway.expect(gateway.send("GET", "/metrics", null, null), 200).body())
                .contains("apimodels_calls_total{endpoint=\"chat.completions\",model=\"test-chat\",route=\"primary\",status=\"200\"} 1.0");
        JsonNode openApi = Gateway.json(Gateway.expect(gateway.send("GET", "/openapi.json", null, null), 200));
        assertThat(openApi.get("paths").has("/v1/chat/completions")).isTrue();
        assertThat(openApi.get("paths").has("/admin/users/{id}/credits")).isTrue();
    }

    @Test
    void aStreamWithoutUsageIsChargedByCountedTokensAndMarkedEstimated() throws Exception {
        gateway = Gateway.start(TestDatabases.H2, Catalogs.openAi(upstream.baseUrl(), null, "jetty", 30), dir, Map.of());
        Gateway.User u = gateway.user(1_000_000);
        upstream.omitStreamUsage();
        HttpResponse<String> r = Gateway.expect(gateway.send("POST", "/v1/chat/completions", u.key(),
                CHAT.formatted("test-chat").replace("{", "{\"stream\":true,")), 200);
        assertThat(r.body()).contains("[DONE]");
        JsonNode call = gateway.usage(u).get(0);
        assertThat(call.get("usage_estimated").asBoolean()).isTrue();
        // "Hello from the mock upstream." is 6 tokens in o200k; the prompt counts its framing too
        assertThat(call.get("output_tokens").asLong()).isEqualTo(6);
        long cost = call.get("input_tokens").asLong() * 10 + 6 * 30;
        assertThat(call.get("cost_micros").asLong()).isEqualTo(cost);
        assertThat(gateway.balance(u)).isEqualTo(1_000_000 - cost);
    }

    @Test
    void aCleanShutdownSettlesAndLogsTheCallsInFlight() throws Exception {
        Path catalog = dir.resolve("catalog.yaml");
        Files.writeString(catalog, Catalogs.openAi(upstream.baseUrl(), null, "jdk", 30));
        Map<String, String> settings = new HashMap<>(Map.of("apimodels.port", "0", "apimodels.data-dir", dir.resolve("data").toString(),
                "apimodels.catalog", catalog.toString(), "apimodels.bootstrap.admin-key", Gateway.ADMIN_KEY,
                "apimodels.shutdown.grace-seconds", "1"));
        // A stream that would take a minute: the shutdown's grace period ends first.
        upstream.server().stubFor(post(urlEqualTo("/v1/chat/completions")).atPriority(1).willReturn(aResponse()
                .withHeader("Content-Type", "text/event-stream")
                .withBody("data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"slow\"}}]}\n\n".repeat(60) + "data: [DONE]\n\n")
                .withChunkedDribbleDelay(60, 60_000)));
        Quickstart first = Quickstart.start(ConfigSource.of(settings));
        Gateway.User u;
        try {
            gateway = null;
            var admin = new GatewayOn(first.port());
            u = admin.user();
            StringBuilder event = new StringBuilder();
            try (Socket ignored = Gateway.openStream(first.port(), u.key(), CHAT.formatted("test-chat").replace("{", "{\"stream\":true,"), event)) {
                assertThat(event.toString()).contains("slow");
                first.close(); // while the stream is running
            }
        } finally {
            first.close();
        }
        // Restart on the same data directory: the cut call was settled and logged before the stop.
        Quickstart second = Quickstart.start(ConfigSource.of(settings));
        try {
            var again = new GatewayOn(second.port());
            JsonNode call = Gateway.json(again.gateway.send("GET", "/api/v1/account/usage", u.key(), null)).get("data").get(0);
            assertThat(call.get("status").asInt()).isEqualTo(499);
            long cost = call.get("cost_micros").asLong();
            assertThat(cost).isPositive();
            JsonNode account = Gateway.json(again.gateway.send("GET", "/api/v1/account", u.key(), null));
            assertThat(account.get("held_micros").asLong()).isZero();
            assertThat(account.get("balance_micros").asLong()).isEqualTo(1_000_000 - cost);
        } finally {
            second.close();
        }
    }

    /** Admin calls against a quickstart this test starts and stops itself. */
    private static final class GatewayOn {
        final Gateway gateway;

        GatewayOn(int port) {
            this.gateway = Gateway.attach(port);
        }

        Gateway.User user() {
            return gateway.user(1_000_000);
        }
    }
}
