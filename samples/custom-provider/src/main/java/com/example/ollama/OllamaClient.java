package com.example.ollama;

import app.apimodels.spi.http.Cancellable;
import app.apimodels.spi.http.HttpRequestSpec;
import app.apimodels.spi.http.HttpTransport;
import app.apimodels.spi.provider.Operation;
import app.apimodels.spi.provider.ProviderClient;
import app.apimodels.spi.provider.ProviderConfig;
import app.apimodels.spi.provider.ProviderException;
import app.apimodels.spi.provider.ProviderRequest;
import app.apimodels.spi.provider.ProviderResult;
import app.apimodels.spi.provider.StreamSink;
import app.apimodels.spi.provider.UpstreamCalls;
import app.apimodels.spi.provider.Usage;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.net.URI;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;

/**
 * One configured Ollama server, spoken to in its native API: chat (whole or streamed as NDJSON)
 * and embeddings, answered to the engine in OpenAI's format. Never blocks: every exchange goes
 * through the engine's {@link HttpTransport}.
 */
final class OllamaClient implements ProviderClient {

    private static final String JSON = "application/json";
    /** A probe is a health check: it must not hang for a whole call's timeout. */
    private static final Duration MAX_PROBE_TIMEOUT = Duration.ofSeconds(10);

    private final ProviderConfig config;
    private final HttpTransport transport;
    private final ObjectMapper mapper;
    private final OllamaWire wire;
    private final OllamaErrors errors;
    private final String baseUrl;

    OllamaClient(ProviderConfig config, HttpTransport transport, ObjectMapper mapper) {
        this.config = config;
        this.transport = Objects.requireNonNull(transport, "transport");
        this.mapper = mapper;
        this.wire = new OllamaWire(mapper);
        this.errors = new OllamaErrors(mapper, config.apiKey());
        String base = Objects.requireNonNull(config.baseUrl(), "baseUrl").toString();
        this.baseUrl = base.endsWith("/") ? base.substring(0, base.length() - 1) : base;
        Objects.requireNonNull(config.timeout(), "timeout");
    }

    @Override
    public Set<Operation> operations() {
        return Set.of(Operation.CHAT, Operation.EMBEDDINGS);
    }

    @Override
    public CompletableFuture<ProviderResult> call(ProviderRequest request) {
        byte[] body;
        try {
            body = switch (request.operation()) {
                case CHAT -> wire.chatRequest(request, false);
                case EMBEDDINGS -> wire.embedRequest(request);
                default -> throw OllamaErrors.unsupported(null, "the ollama-native provider does not do " + request.operation());
            };
        } catch (ProviderException e) {
            return CompletableFuture.failedFuture(e);
        }
        String path = request.operation() == Operation.CHAT ? "/api/chat" : "/api/embed";
        // The spi's exchange: transport failures classified, a caller giving up stops the upstream call.
        return UpstreamCalls.exchange(transport, new HttpRequestSpec("POST", URI.create(baseUrl + path), headers(), body,
                config.timeout(), config.timeout()), response -> {
                    try {
                        return answer(request, mapper.readTree(response.body()));
                    } catch (IOException | RuntimeException e) {
                        throw errors.malformed(e);
                    }
                }, response -> errors.forStatus(response.status(), response.body()));
    }

    private ProviderResult answer(ProviderRequest request, JsonNode answer) throws IOException {
        if (answer == null || !answer.isObject()) {
            throw new IOException("not a JSON object");
        }
        Usage usage = OllamaWire.usage(answer);
        byte[] body = request.operation() == Operation.CHAT
                ? wire.completion(answer, completionId(), request.upstreamModel())
                : wire.embeddings(answer, "base64".equals(request.payload().get("encoding_format")), request.upstreamModel(),
                        usage);
        return new ProviderResult(body, JSON, usage);
    }

    @Override
    public Cancellable stream(ProviderRequest request, StreamSink sink) {
        byte[] body;
        try {
            if (request.operation() != Operation.CHAT) {
                throw OllamaErrors.unsupported(null, "only chat can be streamed");
            }
            body = wire.chatRequest(request, true);
        } catch (ProviderException e) {
            sink.onError(e);
            return () -> { };
        }
        boolean usageChunk = request.payload().get("stream_options") instanceof Map<?, ?> options
                && Boolean.TRUE.equals(options.get("include_usage"));
        NdjsonRelay relay = new NdjsonRelay(sink, mapper, wire, errors, completionId(), request.upstreamModel(), usageChunk);
        relay.attach(transport.stream(new HttpRequestSpec("POST", URI.create(baseUrl + "/api/chat"), headers(), body,
                config.timeout(), config.timeout()), relay));
        return relay::cancel;
    }

    /** {@code GET /api/version}: cheap, and behind an authenticating proxy it checks the key too. */
    @Override
    public CompletableFuture<Boolean> probe() {
        Duration timeout = config.timeout().compareTo(MAX_PROBE_TIMEOUT) < 0 ? config.timeout() : MAX_PROBE_TIMEOUT;
        return transport.send(HttpRequestSpec.get(URI.create(baseUrl + "/api/version"), headers(), timeout))
                .handle((response, failure) -> failure == null && response.status() / 100 == 2);
    }

    private Map<String, String> headers() {
        Map<String, String> headers = new HashMap<>();
        headers.put("Content-Type", JSON);
        headers.put("Accept", "application/json, application/x-ndjson");
        // A local Ollama takes no key; one behind a proxy or Ollama's cloud API takes a bearer key.
        if (config.apiKey() != null && !config.apiKey().isBlank()) {
            headers.put("Authorization", "Bearer " + config.apiKey().strip());
        }
        return headers;
    }

    private static String completionId() {
        return "chatcmpl-ollama-" + UUID.randomUUID();
    }

    @Override
    public String toString() {
        return "OllamaClient[id=" + config.id() + ", baseUrl=" + baseUrl + "]";
    }
}
