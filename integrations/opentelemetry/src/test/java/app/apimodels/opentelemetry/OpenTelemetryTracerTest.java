package app.apimodels.opentelemetry;

import app.apimodels.core.ApiModels;
import app.apimodels.core.config.ConfigSource;
import app.apimodels.testkit.MockOpenAiUpstream;
import app.apimodels.testkit.MockReplicateUpstream;
import app.apimodels.testkit.web.MockExchange;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.opentelemetry.api.GlobalOpenTelemetry;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.context.Scope;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static app.apimodels.opentelemetry.OpenTelemetryTracer.ERROR_TYPE;
import static app.apimodels.opentelemetry.OpenTelemetryTracer.INPUT_TOKENS;
import static app.apimodels.opentelemetry.OpenTelemetryTracer.OPERATION;
import static app.apimodels.opentelemetry.OpenTelemetryTracer.OUTPUT_TOKENS;
import static app.apimodels.opentelemetry.OpenTelemetryTracer.REQUEST_MODEL;
import static app.apimodels.opentelemetry.OpenTelemetryTracer.RESPONSE_MODEL;
import static app.apimodels.opentelemetry.OpenTelemetryTracer.STATUS;
import static app.apimodels.opentelemetry.OpenTelemetryTracer.SYSTEM;
import static app.apimodels.opentelemetry.OpenTelemetryTracer.TASK_ID;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The engine with this module on its class path (found by ServiceLoader, as a host would add the
 * jar), relaying to the OpenAI wire format's mock, traced by the OpenTelemetry SDK into memory.
 */
class OpenTelemetryTracerTest {

    private static final Duration WAIT = Duration.ofSeconds(15);
    private static final String ADMIN_KEY = "otel-test-admin-" + UUID.randomUUID();
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String CHAT = "{\"model\":\"test-chat\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"max_tokens\":50}";

    @TempDir
    static Path dir;
    private static final InMemorySpanExporter spans = InMemorySpanExporter.create();
    private static OpenTelemetrySdk sdk;
    private static MockOpenAiUpstream upstream;
    private static MockReplicateUpstream replicate;
    private static ApiModels engine;
    private static String key;
    private static long userId;

    @BeforeAll
    static void start() throws Exception {
        sdk = OpenTelemetrySdk.builder()
                .setTracerProvider(SdkTracerProvider.builder().addSpanProcessor(SimpleSpanProcessor.create(spans)).build())
                .build();
        GlobalOpenTelemetry.resetForTest();
        GlobalOpenTelemetry.set(sdk);
        upstream = new MockOpenAiUpstream();
        replicate = new MockReplicateUpstream();
        Path catalog = dir.resolve("catalog.yaml");
        Files.writeString(catalog, """
                providers:
                  - id: primary
                    type: openai
                    base-url: %s
                    api-key: sk-upstream-secret-123
                    timeout-seconds: 10
                  - id: rep
                    type: replicate
                    base-url: %s
                    api-key: r8_test_upstream_key_123
                    timeout-seconds: 10
                    options: { webhook-secret: "%s" }
                models:
                  - id: test-chat
                    kind: chat
                    routes: [ { provider: primary, upstream-model: %s, priority: 1, weight: 1 } ]
                    price: { input-per-1m-tokens: 10, output-per-1m-tokens: 30 }
                  - id: test-image
                    kind: image
                    routes: [ { provider: rep, upstream-model: owner/image-model } ]
                    price: { per-image: 0.04 }
                """.formatted(upstream.baseUrl(), replicate.baseUrl(), replicate.webhookSecret(), MockOpenAiUpstream.MODEL));
        Map<String, String> settings = new HashMap<>();
        settings.put("apimodels.data-dir", dir.resolve("data").toString());
        settings.put("apimodels.catalog", catalog.toString());
        settings.put("apimodels.bootstrap.admin-key", ADMIN_KEY);
        settings.put("apimodels.keys.pepper", "test-pepper-of-at-least-thirty-two-characters");
        // Tasks: polled often, their outputs copied from the mock's host.
        settings.put("apimodels.fetch.allowed-private-hosts", URI.create(replicate.baseUrl()).getAuthority());
        settings.put("apimodels.jobs.poll-interval-ms", "50");
        settings.put("apimodels.tasks.poll-initial-ms", "50");
        settings.put("apimodels.tasks.poll-max-ms", "200");
        engine = ApiModels.builder().config(ConfigSource.of(settings)).build();
        long id = json(call(post("/admin/users", ADMIN_KEY, "{\"email\":\"otel@example.com\"}")), 201).get("id").asLong();
        userId = id;
        json(call(post("/admin/users/" + id + "/credits", ADMIN_KEY,
                "{\"amount_micros\":1000000,\"reason\":\"test\",\"idempotency_key\":\"otel-grant\"}")), 201);
        key = json(call(post("/admin/users/" + id + "/keys", ADMIN_KEY, "{\"name\":\"otel\"}")), 201).get("key").asText();
    }

    @AfterAll
    static void stop() {
        if (engine != null) {
            engine.close();
        }
        if (upstream != null) {
            upstream.close();
        }
        if (replicate != null) {
            replicate.close();
        }
        sdk.close();
        GlobalOpenTelemetry.resetForTest();
    }

    @BeforeEach
    void clear() {
        upstream.reset();
        replicate.reset();
        spans.reset();
    }

    @Test
    void theEngineFindsTheTracer() {
        JsonNode plugins = json(call(MockExchange.get("/admin/plugins").bearer(ADMIN_KEY)), 200);
        assertThat(plugins.get("tracers").toString()).isEqualTo("[\"opentelemetry\"]");
    }

    @Test
    void aCallIsASpanWithGenAiAttributesAndItsUpstreamAttemptAClientSpanBelowIt() {
        json(call(post("/v1/chat/completions", key, CHAT)), 200);

        List<SpanData> done = finished(2);
        SpanData attempt = done.get(0);
        SpanData call = done.get(1);
        assertThat(call.getName()).isEqualTo("chat test-chat");
        assertThat(call.getKind()).isEqualTo(SpanKind.SERVER);
        assertThat(call.getAttributes().get(OPERATION)).isEqualTo("chat");
        assertThat(call.getAttributes().get(REQUEST_MODEL)).isEqualTo("test-chat");
        assertThat(call.getAttributes().get(RESPONSE_MODEL)).isEqualTo("test-chat");
        assertThat(call.getAttributes().get(SYSTEM)).isEqualTo("openai");
        assertThat(call.getAttributes().get(INPUT_TOKENS)).isEqualTo(MockOpenAiUpstream.DEFAULT_USAGE.inputTokens());
        assertThat(call.getAttributes().get(OUTPUT_TOKENS)).isEqualTo(MockOpenAiUpstream.DEFAULT_USAGE.outputTokens());
        assertThat(call.getAttributes().get(STATUS)).isEqualTo(200L);
        assertThat(call.getStatus().getStatusCode()).isEqualTo(StatusCode.UNSET);

        assertThat(attempt.getName()).isEqualTo("chat " + MockOpenAiUpstream.MODEL);
        assertThat(attempt.getKind()).isEqualTo(SpanKind.CLIENT);
        assertThat(attempt.getParentSpanId()).isEqualTo(call.getSpanId());
        assertThat(attempt.getTraceId()).isEqualTo(call.getTraceId());
        assertThat(attempt.getAttributes().get(SYSTEM)).isEqualTo("openai");
        assertThat(attempt.getAttributes().get(REQUEST_MODEL)).isEqualTo(MockOpenAiUpstream.MODEL);
        assertThat(attempt.getAttributes().get(INPUT_TOKENS)).isEqualTo(MockOpenAiUpstream.DEFAULT_USAGE.inputTokens());
    }

    @Test
    void aCallHangsBelowTheHostsCurrentSpan() {
        Span server = sdk.getTracer("host").spanBuilder("POST /v1/chat/completions").setSpanKind(SpanKind.SERVER).startSpan();
        MockExchange exchange = post("/v1/chat/completions", key, CHAT).build();
        try (Scope ignored = server.makeCurrent()) {
            engine.handle(exchange);
        }
        json(exchange.awaitAnswer(WAIT), 200);
        server.end();

        SpanData call = finished(3).stream().filter(s -> s.getName().equals("chat test-chat")).findFirst().orElseThrow();
        assertThat(call.getParentSpanId()).isEqualTo(server.getSpanContext().getSpanId());
        assertThat(call.getKind()).isEqualTo(SpanKind.INTERNAL);
    }

    @Test
    void aStreamedCallCarriesItsUsage() {
        MockExchange.Answer answer = call(post("/v1/chat/completions", key, CHAT.replace("{\"model\"", "{\"stream\":true,\"model\"")));
        assertThat(answer.status()).isEqualTo(200);

        SpanData call = finished(2).get(1);
        assertThat(call.getAttributes().get(OpenTelemetryTracer.STREAM)).isTrue();
        assertThat(call.getAttributes().get(OUTPUT_TOKENS)).isPositive();
    }

    @Test
    void aFailedUpstreamMarksBothSpans() {
        upstream.respondWithError(500);
        MockExchange.Answer answer = call(post("/v1/chat/completions", key, CHAT));
        assertThat(answer.status()).isEqualTo(502);

        List<SpanData> done = finished(2);
        SpanData attempt = done.get(0);
        SpanData call = done.get(1);
        assertThat(attempt.getAttributes().get(ERROR_TYPE)).isEqualTo("upstream_error");
        assertThat(attempt.getStatus().getStatusCode()).isEqualTo(StatusCode.ERROR);
        assertThat(call.getAttributes().get(ERROR_TYPE)).isEqualTo("502");
        assertThat(call.getAttributes().get(RESPONSE_MODEL)).isNull();
        assertThat(call.getStatus().getStatusCode()).isEqualTo(StatusCode.ERROR);
    }

    @Test
    void aCallRefusedBeforeTheHoldIsASpanWithTheErrorAndNoUpstreamChild() {
        String restricted = json(call(post("/admin/users/" + userId + "/keys", ADMIN_KEY,
                "{\"name\":\"restricted\",\"allowed_models\":[\"another-model\"]}")), 201).get("key").asText();
        assertThat(call(post("/v1/chat/completions", restricted, CHAT)).status()).isEqualTo(403);
        long broke = json(call(post("/admin/users", ADMIN_KEY, "{\"email\":\"broke@example.com\"}")), 201).get("id").asLong();
        String noCredits = json(call(post("/admin/users/" + broke + "/keys", ADMIN_KEY, "{\"name\":\"broke\"}")), 201)
                .get("key").asText();
        assertThat(call(post("/v1/chat/completions", noCredits, CHAT)).status()).isEqualTo(402);

        List<SpanData> done = finished(2);
        assertThat(done).extracting(s -> s.getAttributes().get(STATUS)).containsExactly(403L, 402L);
        assertThat(done).allSatisfy(refused -> {
            assertThat(refused.getName()).isEqualTo("chat test-chat");
            assertThat(refused.getKind()).as("a call span, not an upstream attempt").isEqualTo(SpanKind.SERVER);
            assertThat(refused.getAttributes().get(OPERATION)).isEqualTo("chat");
            assertThat(refused.getAttributes().get(REQUEST_MODEL)).isEqualTo("test-chat");
            assertThat(refused.getAttributes().get(ERROR_TYPE)).isEqualTo(refused.getAttributes().get(STATUS).toString());
            assertThat(refused.getAttributes().get(RESPONSE_MODEL)).isNull();
            assertThat(refused.getStatus().getStatusCode()).isEqualTo(StatusCode.ERROR);
        });
        assertThat(upstream.server().getAllServeEvents()).as("nothing reached the upstream").isEmpty();
    }

    @Test
    void aGenerationTaskIsTracedAtItsSubmissionAndAtEachRunThatPollsItsUpstream() {
        replicate.pendingPolls(1).outputs("image/png", 1);
        String taskId = json(call(post("/api/v1/images/generations", key, "{\"model\":\"test-image\",\"prompt\":\"a cat\"}")), 200)
                .get("data").get("taskId").asText();

        await("the run that completes the task").atMost(WAIT).until(() -> spans.getFinishedSpanItems().stream()
                .anyMatch(s -> s.getKind() == SpanKind.INTERNAL && Long.valueOf(200).equals(s.getAttributes().get(STATUS))));
        List<SpanData> done = spans.getFinishedSpanItems();
        SpanData submission = done.stream().filter(s -> s.getKind() == SpanKind.SERVER).collect(onlyOne());
        assertThat(submission.getName()).isEqualTo("images test-image");
        assertThat(submission.getAttributes().get(OPERATION)).isEqualTo("images");
        assertThat(submission.getAttributes().get(REQUEST_MODEL)).isEqualTo("test-image");
        assertThat(submission.getAttributes().get(TASK_ID)).isEqualTo(taskId);
        assertThat(submission.getAttributes().get(SYSTEM)).isEqualTo("replicate");
        assertThat(submission.getAttributes().get(STATUS)).isEqualTo(200L);
        assertThat(submission.getStatus().getStatusCode()).isEqualTo(StatusCode.UNSET);
        assertThat(children(done, submission)).singleElement().satisfies(handOver -> {
            assertThat(handOver.getKind()).isEqualTo(SpanKind.CLIENT);
            assertThat(handOver.getName()).isEqualTo("images owner/image-model");
            assertThat(handOver.getAttributes().get(SYSTEM)).isEqualTo("replicate");
            assertThat(handOver.getAttributes().get(ERROR_TYPE)).isNull();
        });

        List<SpanData> runs = done.stream().filter(s -> s.getKind() == SpanKind.INTERNAL).toList();
        assertThat(runs).as("a poll while pending, then the one that saw it succeed").hasSize(2);
        assertThat(runs).extracting(s -> s.getAttributes().get(STATUS)).containsExactly(202L, 200L);
        assertThat(runs).allSatisfy(run -> {
            assertThat(run.getName()).isEqualTo("images test-image");
            assertThat(run.getAttributes().get(TASK_ID)).isEqualTo(taskId);
            assertThat(run.getParentSpanContext().isValid()).as("a root span: no request to hang below").isFalse();
            assertThat(children(done, run)).singleElement().satisfies(poll -> {
                assertThat(poll.getKind()).isEqualTo(SpanKind.CLIENT);
                assertThat(poll.getAttributes().get(SYSTEM)).isEqualTo("replicate");
                assertThat(poll.getAttributes().get(REQUEST_MODEL)).isEqualTo("owner/image-model");
            });
        });
        assertThat(runs.get(1).getStatus().getStatusCode()).isEqualTo(StatusCode.UNSET);
    }

    private static List<SpanData> children(List<SpanData> spans, SpanData parent) {
        return spans.stream().filter(s -> s.getParentSpanId().equals(parent.getSpanId())).toList();
    }

    private static <T> java.util.stream.Collector<T, ?, T> onlyOne() {
        return java.util.stream.Collectors.collectingAndThen(java.util.stream.Collectors.toList(), list -> {
            assertThat(list).hasSize(1);
            return list.get(0);
        });
    }

    /** The finished spans once there are {@code n}, in the order they ended. */
    private static List<SpanData> finished(int n) {
        await().atMost(WAIT).until(() -> spans.getFinishedSpanItems().size() >= n);
        List<SpanData> done = spans.getFinishedSpanItems();
        assertThat(done).hasSize(n);
        return done;
    }

    private static MockExchange.Builder post(String path, String bearer, String json) {
        return MockExchange.post(path).bearer(bearer).json(json);
    }

    private static MockExchange.Answer call(MockExchange.Builder request) {
        MockExchange exchange = request.build();
        engine.handle(exchange);
        return exchange.awaitAnswer(WAIT);
    }

    private static JsonNode json(MockExchange.Answer answer, int status) {
        assertThat(answer.status()).as(answer.bodyText()).isEqualTo(status);
        try {
            return JSON.readTree(answer.bodyText());
        } catch (java.io.IOException e) {
            throw new AssertionError(e);
        }
    }
}
