package app.apimodels.quickstart.e2e;

import app.apimodels.core.testing.TestDatabases;
import app.apimodels.testkit.MockOpenAiUpstream;
import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.net.Socket;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.equalTo;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static org.assertj.core.api.Assertions.assertThat;

/** Upstream faults at the wire, and what each one costs the client (docs/design.md, invariant 2). */
class FaultsTest extends EndToEndTest {

    private static final long GRANT = 1_000_000;
    private static final String CHAT = "{\"model\":\"test-chat\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"max_tokens\":50}";
    private static final String STREAM = "{\"model\":\"test-chat\",\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"max_tokens\":50}";

    private final MockOpenAiUpstream fallback = new MockOpenAiUpstream();

    @AfterEach
    void stopFallback() {
        fallback.close();
    }


    private Gateway.User start(boolean withFallback, int timeoutSeconds) throws Exception {
        gateway = Gateway.start(TestDatabases.H2, Catalogs.openAi(upstream.baseUrl(), withFallback ? fallback.baseUrl() : null,
                "jdk", timeoutSeconds), dir, Map.of("apimodels.stream.keep-alive-ms", "200"));
        return gateway.user(GRANT);
    }

    @Test
    void anUpstream500FallsBackToTheNextRouteAndIsChargedOnce() throws Exception {
        Gateway.User u = start(true, 30);
        upstream.respondWithError(500);
        HttpResponse<String> r = Gateway.expect(gateway.send("POST", "/v1/chat/completions", u.key(), CHAT), 200);
        assertThat(r.body()).contains(MockOpenAiUpstream.COMPLETION_TEXT);
        assertThat(gateway.balance(u)).isEqualTo(GRANT - Catalogs.MOCK_CALL_COST);
        JsonNode call = gateway.usage(u).get(0);
        assertThat(call.get("status").asInt()).isEqualTo(200);
        assertThat(gateway.queryLong("SELECT attempts FROM apimodels_call_log")).isEqualTo(2);
    }

    @Test
    void aRateLimitedRouteRestsForItsRetryAfterAndTheNextRouteAnswers() throws Exception {
        Gateway.User u = start(true, 30);
        // Long enough that the second call surely comes within it, however slow the machine.
        upstream.server().stubFor(post(urlEqualTo("/v1/chat/completions")).atPriority(1)
                .willReturn(aResponse().withStatus(429).withHeader("Retry-After", "30").withHeader("Content-Type", "application/json")
                        .withBody("{\"error\":{\"message\":\"Rate limit reached\",\"type\":\"requests\",\"code\":\"rate_limit_exceeded\"}}")));
        Gateway.expect(gateway.send("POST", "/v1/chat/completions", u.key(), CHAT), 200);
        Gateway.expect(gateway.send("POST", "/v1/chat/completions", u.key(), CHAT), 200);

        assertThat(upstream.server().getAllServeEvents()).as("the resting route is not called again").hasSize(1);
        assertThat(fallback.server().getAllServeEvents()).hasSize(2);
        JsonNode primary = Gateway.json(Gateway.expect(gateway.send("GET", "/admin/routes", Gateway.ADMIN_KEY, null), 200))
                .at("/data/0");
        assertThat(primary.get("provider").asText()).isEqualTo("primary");
        assertThat(primary.get("cool_down_until").asLong()).isGreaterThan(System.currentTimeMillis() + 20_000);
        assertThat(primary.get("circuit").asText()).isEqualTo("closed");
        assertThat(gateway.balance(u)).isEqualTo(GRANT - 2 * Catalogs.MOCK_CALL_COST);
        assertThat(gateway.held(u)).isZero();
    }

    @Test
    void aKeyOfThePoolTheUpstreamRefusesIsLeftOutAndShownByItsLastFour() throws Exception {
        String catalog = Catalogs.openAi(upstream.baseUrl(), null, "jdk", 30)
                .replace("    api-key: ${TEST_UPSTREAM_KEY:sk-upstream-secret-123}\n",
                        "    api-key: sk-good-upstream-1111\n    api-keys: [ sk-bad-upstream-2222 ]\n");
        gateway = Gateway.start(TestDatabases.H2, catalog, dir, Map.of());
        Gateway.User u = gateway.user(GRANT);
        upstream.server().stubFor(post(urlEqualTo("/v1/chat/completions")).atPriority(1)
                .withHeader("Authorization", equalTo("Bearer sk-bad-upstream-2222"))
                .willReturn(aResponse().withStatus(401).withHeader("Content-Type", "application/json")
                        .withBody("{\"error\":{\"message\":\"Incorrect API key provided\",\"type\":\"invalid_request_error\",\"code\":\"invalid_api_key\"}}")));

        for (int i = 0; i < 4; i++) {
            Gateway.expect(gateway.send("POST", "/v1/chat/completions", u.key(), CHAT), 200);
        }

        upstream.server().verify(1, postRequestedFor(urlEqualTo("/v1/chat/completions"))
                .withHeader("Authorization", equalTo("Bearer sk-bad-upstream-2222")));
        upstream.server().verify(4, postRequestedFor(urlEqualTo("/v1/chat/completions"))
                .withHeader("Authorization", equalTo("Bearer sk-good-upstream-1111")));
        HttpResponse<String> routes = Gateway.expect(gateway.send("GET", "/admin/routes", Gateway.ADMIN_KEY, null), 200);
        assertThat(routes.body()).doesNotContain("sk-bad-upstream-2222").doesNotContain("sk-good-upstream-1111");
        JsonNode keys = Gateway.json(routes).at("/data/0/keys");
        assertThat(keys.get(0).get("key").asText()).isEqualTo("…1111");
        assertThat(keys.get(0).get("state").asText()).isEqualTo("active");
        assertThat(keys.get(1).get("key").asText()).isEqualTo("…2222");
        assertThat(keys.get(1).get("state").asText()).isEqualTo("disabled");
        assertThat(keys.get(1).get("reason").asText()).isEqualTo("HTTP 401");
        assertThat(gateway.balance(u)).isEqualTo(GRANT - 4 * Catalogs.MOCK_CALL_COST);
        assertThat(gateway.held(u)).isZero();
    }

    @Test
    void aTimeoutIs504AndCostsNothing() throws Exception {
        Gateway.User u = start(false, 1);
        upstream.delayResponses(Duration.ofSeconds(5));
        HttpResponse<String> r = gateway.send("POST", "/v1/chat/completions", u.key(), CHAT);
        assertThat(r.statusCode()).isEqualTo(504);
        assertThat(Gateway.json(r).at("/error/code").asText()).isEqualTo("upstream_timeout");
        assertThat(gateway.balance(u)).isEqualTo(GRANT);
        assertThat(gateway.held(u)).isZero();
        assertThat(gateway.usage(u).get(0).get("status").asInt()).isEqualTo(504);
    }

    @Test
    void aConnectionResetIs502AndCostsNothingButFallsBackWhenItCan() throws Exception {
        Gateway.User u = start(true, 30);
        upstream.resetConnections();
        fallback.resetConnections();
        HttpResponse<String> r = gateway.send("POST", "/v1/chat/completions", u.key(), CHAT);
        assertThat(r.statusCode()).isEqualTo(502);
        assertThat(r.body()).doesNotContain("sk-upstream-secret-123");
        assertThat(gateway.balance(u)).isEqualTo(GRANT);
        fallback.reset();
        Gateway.expect(gateway.send("POST", "/v1/chat/completions", u.key(), CHAT), 200);
        assertThat(gateway.balance(u)).isEqualTo(GRANT - Catalogs.MOCK_CALL_COST);
    }

    @Test
    void aStreamCutByTheUpstreamIsReportedInTheStreamAndCostsNothing() throws Exception {
        Gateway.User u = start(false, 30);
        upstream.cutStreams();
        HttpResponse<String> r = Gateway.expect(gateway.send("POST", "/v1/chat/completions", u.key(), STREAM), 200);
        assertThat(r.body()).contains("Hello").contains("\"error\"").doesNotContain("[DONE]");
        assertThat(gateway.balance(u)).isEqualTo(GRANT);
        assertThat(gateway.held(u)).isZero();
    }

    @Test
    void aStreamThatFailsBeforeItsFirstChunkTriesTheNextRoute() throws Exception {
        Gateway.User u = start(true, 30);
        upstream.respondWithError(503);
        HttpResponse<String> r = Gateway.expect(gateway.send("POST", "/v1/chat/completions", u.key(), STREAM), 200);
        assertThat(r.body()).contains("[DONE]").contains("upstream.");
        assertThat(gateway.balance(u)).isEqualTo(GRANT - Catalogs.MOCK_CALL_COST);
    }

    @Test
    void aClientThatLeavesMidStreamPaysForWhatWasUsedUpToTheCutAndNeverMoreThanTheHold() throws Exception {
        Gateway.User u = start(false, 30);
        // A slow stream: five events over five seconds, no usage report.
        StringBuilder sse = new StringBuilder();
        for (String word : MockOpenAiUpstream.STREAM_DELTAS) {
            sse.append("data: {\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"")
                    .append(word).append("\"}}]}\n\n");
        }
        sse.append("data: [DONE]\n\n");
        upstream.server().stubFor(post(urlEqualTo("/v1/chat/completions")).atPriority(1).willReturn(aResponse()
                .withHeader("Content-Type", "text/event-stream").withBody(sse.toString()).withChunkedDribbleDelay(5, 5_000)));

        StringBuilder first = new StringBuilder();
        try (Socket ignored = Gateway.openStream(gateway.port(), u.key(), STREAM, first)) {
            assertThat(first.toString()).contains("Hello");
        } // the client leaves after the first event

        JsonNode call = gateway.awaitLoggedCall(u);
        assertThat(call.get("status").asInt()).isEqualTo(499);
        assertThat(call.get("usage_estimated").asBoolean()).isTrue();
        long cost = call.get("cost_micros").asLong();
        // What was used: the prompt and what had been generated, counted, at the model's price.
        assertThat(call.get("input_tokens").asLong()).isPositive();
        assertThat(call.get("output_tokens").asLong()).isBetween(1L, 4L);
        assertThat(cost).isEqualTo(call.get("input_tokens").asLong() * 10 + call.get("output_tokens").asLong() * 30);
        long hold = 13 * 10 + 50 * 30; // the worst case for this request (prompt bound + max_tokens)
        assertThat(cost).isPositive().isLessThanOrEqualTo(hold);
        assertThat(gateway.balance(u)).isEqualTo(GRANT - cost);
        assertThat(gateway.held(u)).isZero();
    }

}
