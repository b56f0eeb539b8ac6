package com.example.ollama;

import app.apimodels.spi.provider.Operation;
import app.apimodels.spi.provider.Usage;
import app.apimodels.testkit.ChatUpstream;
import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.client.MappingBuilder;
import com.github.tomakehurst.wiremock.client.ResponseDefinitionBuilder;
import com.github.tomakehurst.wiremock.common.Json;
import com.github.tomakehurst.wiremock.http.Fault;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.any;
import static com.github.tomakehurst.wiremock.client.WireMock.anyUrl;
import static com.github.tomakehurst.wiremock.client.WireMock.equalTo;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.matchingJsonPath;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;

/**
 * An Ollama server faked at the wire (WireMock), answering as docs.ollama.com/api describes:
 * {@code POST /api/chat} whole ({@code "stream": false}) or as NDJSON lines ending with a
 * {@code "done": true} line carrying {@code prompt_eval_count} and {@code eval_count};
 * {@code POST /api/embed}; {@code GET /api/version}; errors as {@code {"error": "…"}}.
 * The testkit's {@link ChatUpstream}, so the provider contract can run against it.
 */
final class MockOllamaUpstream implements ChatUpstream {

    static final String MODEL = "llama3.2:3b";
    static final List<String> DELTAS = List.of("Hello", " from", " a", " local", " model.");
    static final Usage DEFAULT_USAGE = Usage.tokens(26, 0, 9);
    private static final String CREATED_AT = "2025-10-26T17:15:24.097767Z";
    private static final int FAULT_PRIORITY = 1;
    private static final int NORMAL_PRIORITY = 5;

    private final WireMockServer server = new WireMockServer(options().dynamicPort().gzipDisabled(true));
    private Usage usage;
    private Duration delay;
    private boolean resetConnections;
    private boolean omitStreamUsage;
    private boolean cutStreams;
    private boolean breakStreams;
    private ResponseDefinitionBuilder error;

    MockOllamaUpstream() {
        server.start();
        reset();
    }

    WireMockServer server() {
        return server;
    }

    @Override
    public String baseUrl() {
        return server.baseUrl();
    }

    @Override
    public List<String> streamDeltas() {
        return DELTAS;
    }

    @Override
    public Usage usage() {
        return usage;
    }

    @Override
    public MockOllamaUpstream usage(Usage usage) {
        this.usage = usage;
        install();
        return this;
    }

    @Override
    public MockOllamaUpstream respondWithError(int status) {
        return respondWithError(status, "mock ollama error " + status, null);
    }

    /** Ollama's errors have no field name: {@code param} is not sent. */
    @Override
    public MockOllamaUpstream respondWithError(int status, String message, String param) {
        error = aResponse().withStatus(status).withHeader("Content-Type", "application/json")
                .withBody(json(Map.of("error", message)));
        install();
        return this;
    }

    @Override
    public MockOllamaUpstream delayResponses(Duration delay) {
        this.delay = delay;
        install();
        return this;
    }

    @Override
    public MockOllamaUpstream resetConnections() {
        resetConnections = true;
        install();
        return this;
    }

    @Override
    public MockOllamaUpstream cutStreams() {
        cutStreams = true;
        install();
        return this;
    }

    @Override
    public MockOllamaUpstream breakStreams() {
        breakStreams = true;
        install();
        return this;
    }

    @Override
    public MockOllamaUpstream omitStreamUsage() {
        omitStreamUsage = true;
        install();
        return this;
    }

    @Override
    public void reset() {
        usage = DEFAULT_USAGE;
        delay = Duration.ZERO;
        resetConnections = false;
        omitStreamUsage = false;
        cutStreams = false;
        breakStreams = false;
        error = null;
        server.resetAll();
        install();
    }

    @Override
    public void verifyReceived(Operation operation, String upstreamModel, boolean stream) {
        if (operation == Operation.CHAT) {
            server.verify(postRequestedFor(urlEqualTo("/api/chat"))
                    .withRequestBody(matchingJsonPath("$.model", equalTo(upstreamModel)))
                    .withRequestBody(matchingJsonPath("$.stream", equalTo(Boolean.toString(stream)))));
        } else {
            server.verify(postRequestedFor(urlEqualTo("/api/embed")).withRequestBody(matchingJsonPath("$.model", equalTo(upstreamModel))));
        }
    }

    @Override
    public void close() {
        server.stop();
    }

    private void install() {
        server.resetMappings();
        if (resetConnections) {
            server.stubFor(any(anyUrl()).atPriority(FAULT_PRIORITY).willReturn(aResponse().withFault(Fault.CONNECTION_RESET_BY_PEER)));
        } else if (error != null) {
            server.stubFor(any(anyUrl()).atPriority(FAULT_PRIORITY).willReturn(delayed(error)));
        }
        stub(post("/api/chat").withRequestBody(matchingJsonPath("$[?(@.stream == false)]")), json(200, whole()));
        stub(post("/api/chat").withRequestBody(matchingJsonPath("$[?(@.stream == true)]")), stream());
        stub(post("/api/embed"), json(200, embed()));
        stub(get("/api/version"), json(200, Map.of("version", "0.12.6")));
    }

    private void stub(MappingBuilder request, ResponseDefinitionBuilder response) {
        server.stubFor(request.atPriority(NORMAL_PRIORITY).willReturn(delayed(response)));
    }

    private ResponseDefinitionBuilder delayed(ResponseDefinitionBuilder response) {
        return delay.isZero() ? response : response.withFixedDelay((int) delay.toMillis());
    }

    private Map<String, Object> whole() {
        Map<String, Object> answer = line(String.join("", DELTAS), true);
        answer.put("done_reason", "stop");
        counts(answer);
        return answer;
    }

    /** One line per delta, then the closing line, sent in pieces that split lines anywhere. */
    private ResponseDefinitionBuilder stream() {
        if (breakStreams) {
            return aResponse().withFault(Fault.MALFORMED_RESPONSE_CHUNK);
        }
        StringBuilder body = new StringBuilder();
        List<String> deltas = cutStreams ? DELTAS.subList(0, 2) : DELTAS;
        deltas.forEach(delta -> body.append(json(line(delta, false))).append('\n'));
        if (!cutStreams) {
            Map<String, Object> done = line("", true);
            done.put("done_reason", "stop");
            if (!omitStreamUsage) {
                counts(done);
            }
            body.append(json(done)).append('\n');
        }
        return aResponse().withHeader("Content-Type", "application/x-ndjson").withBody(body.toString())
                .withChunkedDribbleDelay(7, 35);
    }

    private static Map<String, Object> line(String content, boolean done) {
        Map<String, Object> line = new LinkedHashMap<>();
        line.put("model", MODEL);
        line.put("created_at", CREATED_AT);
        line.put("message", Map.of("role", "assistant", "content", content));
        line.put("done", done);
        return line;
    }

    private void counts(Map<String, Object> done) {
        done.put("total_duration", 4_353_619_900L);
        done.put("load_duration", 63_915_300L);
        done.put("prompt_eval_count", usage.inputTokens());
        done.put("prompt_eval_duration", 246_847_000L);
        done.put("eval_count", usage.outputTokens());
        done.put("eval_duration", 4_032_296_000L);
    }

    private Map<String, Object> embed() {
        Map<String, Object> answer = new LinkedHashMap<>();
        answer.put("model", "all-minilm");
        answer.put("embeddings", List.of(List.of(0.010071029, -0.0017594862, 0.05007221)));
        answer.put("total_duration", 14_143_917L);
        answer.put("load_duration", 1_019_500L);
        answer.put("prompt_eval_count", usage.inputTokens());
        return answer;
    }

    private static ResponseDefinitionBuilder json(int status, Object body) {
        return aResponse().withStatus(status).withHeader("Content-Type", "application/json").withBody(json(body));
    }

    private static String json(Object body) {
        return new String(Json.toByteArray(body), StandardCharsets.UTF_8);
    }
}
