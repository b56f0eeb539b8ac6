package app.apimodels.provider.openai;

import app.apimodels.spi.http.Cancellable;
import app.apimodels.spi.http.HttpRequestSpec;
import app.apimodels.spi.http.HttpResponseData;
import app.apimodels.spi.http.HttpTransport;
import app.apimodels.spi.provider.Operation;
import app.apimodels.spi.provider.ProviderClient;
import app.apimodels.spi.provider.ProviderConfig;
import app.apimodels.spi.provider.ProviderException;
import app.apimodels.spi.provider.ProviderRequest;
import app.apimodels.spi.provider.ProviderResult;
import app.apimodels.spi.provider.StreamSink;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.net.URI;
import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

/**
 * One configured OpenAI-compatible upstream (OpenAI, DeepSeek, Groq, vLLM, Ollama, OpenRouter…).
 * The client's request is forwarded as it came, with the model replaced by the upstream's name;
 * answers are handed back byte for byte, with the usage read from them.
 */
final class OpenAiClient implements ProviderClient {

    /** Catalog option: longest silence within a stream, in seconds; defaults to the timeout. */
    static final String STREAM_IDLE_TIMEOUT_OPTION = "stream-idle-timeout-seconds";
    /** A probe is a health check: it must not hang for a whole call's timeout. */
    private static final Duration MAX_PROBE_TIMEOUT = Duration.ofSeconds(10);
    private static final Set<Operation> OPERATIONS = Set.of(Operation.CHAT, Operation.EMBEDDINGS);

    private final ProviderConfig config;
    private final HttpTransport transport;
    private final ObjectMapper mapper;
    private final UpstreamErrors errors;
    private final UsageReader usageReader;
    private final String baseUrl;
    private final Duration streamIdleTimeout;

    OpenAiClient(ProviderConfig config, HttpTransport transport, ObjectMapper mapper) {
        this.config = config;
        this.transport = Objects.requireNonNull(transport, "transport");
        this.mapper = mapper;
        this.errors = new UpstreamErrors(mapper, config.apiKey());
        this.usageReader = new UsageReader(mapper);
        Objects.requireNonNull(config.baseUrl(), "baseUrl");
        Objects.requireNonNull(config.timeout(), "timeout");
        String base = config.baseUrl().toString();
        this.baseUrl = base.endsWith("/") ? base.substring(0, base.length() - 1) : base;
        this.streamIdleTimeout = streamIdleTimeout(config);
    }

    private static Duration streamIdleTimeout(ProviderConfig config) {
        String seconds = config.options().get(STREAM_IDLE_TIMEOUT_OPTION);
        if (seconds == null) {
            return config.timeout();
        }
        try {
            return Duration.ofSeconds(Long.parseLong(seconds.strip()));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("provider " + config.id() + ": " + STREAM_IDLE_TIMEOUT_OPTION
                    + " must be a whole number of seconds, not '" + seconds + "'", e);
        }
    }

    @Override
    public Set<Operation> operations() {
        return OPERATIONS;
    }

    @Override
    public CompletableFuture<ProviderResult> call(ProviderRequest request) {
        CompletableFuture<ProviderResult> result = new CompletableFuture<>();
        HttpRequestSpec spec;
        try {
            spec = new HttpRequestSpec("POST", endpoint(request.operation()), headers("application/json"),
                    body(request, false), config.timeout(), config.timeout());
        } catch (ProviderException e) {
            result.completeExceptionally(e);
            return result;
        }
        CompletableFuture<HttpResponseData> exchange = transport.send(spec);
        exchange.whenComplete((response, failure) -> {
            if (failure != null) {
                result.completeExceptionally(errors.forTransport(failure));
            } else if (response.status() / 100 != 2) {
                result.completeExceptionally(errors.forStatus(response.status(), response.body()));
            } else {
                try {
                    result.complete(new ProviderResult(response.body(), "application/json", usageReader.read(response.body())));
                } catch (IOException e) {
                    result.completeExceptionally(errors.malformed(e));
                }
            }
        });
        // A caller giving up (cancelling our future) stops the upstream call.
        result.whenComplete((value, failure) -> {
            if (result.isCancelled()) {
                exchange.cancel(true);
            }
        });
        return result;
    }

    @Override
    public Cancellable stream(ProviderRequest request, StreamSink sink) {
        HttpRequestSpec spec;
        try {
            if (request.operation() != Operation.CHAT) {
                throw new ProviderException(ProviderException.Kind.INVALID_REQUEST,
                        "only chat completions can be streamed", null);
            }
            spec = new HttpRequestSpec("POST", endpoint(request.operation()), headers("text/event-stream"),
                    body(request, true), config.timeout(), streamIdleTimeout);
        } catch (ProviderException e) {
            sink.onError(e);
            return () -> { };
        }
        StreamRelay relay = new StreamRelay(sink, mapper, errors);
        relay.attach(transport.stream(spec, relay));
        return relay::cancel;
    }

    @Override
    public CompletableFuture<Boolean> probe() {
        Duration timeout = config.timeout().compareTo(MAX_PROBE_TIMEOUT) < 0 ? config.timeout() : MAX_PROBE_TIMEOUT;
        return transport.send(HttpRequestSpec.get(URI.create(baseUrl + "/models"), headers("application/json"), timeout))
                .handle((response, failure) -> failure == null && response.status() / 100 == 2);
    }

    @Override
    public String toString() {
        return "OpenAiClient[id=" + config.id() + ", baseUrl=" + baseUrl + "]";
    }

    private URI endpoint(Operation operation) {
        return switch (operation) {
            case CHAT -> URI.create(baseUrl + "/chat/completions");
            case EMBEDDINGS -> URI.create(baseUrl + "/embeddings");
            default -> throw new ProviderException(ProviderException.Kind.INVALID_REQUEST,
                    "operation " + operation + " is not offered by this provider", null);
        };
    }

    private Map<String, String> headers(String accept) {
        Map<String, String> headers = new HashMap<>();
        headers.put("Content-Type", "application/json");
        headers.put("Accept", accept);
        // Local servers (Ollama, vLLM without --api-key) take no key.
        if (config.apiKey() != null && !config.apiKey().isBlank()) {
            headers.put("Authorization", "Bearer " + config.apiKey().strip());
        }
        return headers;
    }

    /** The client's payload with the upstream's model name, and usage asked for on streams. */
    private byte[] body(ProviderRequest request, boolean stream) {
        Map<String, Object> payload = new LinkedHashMap<>(request.payload());
        payload.put("model", request.upstreamModel());
        if (stream) {
            Map<String, Object> streamOptions = new LinkedHashMap<>();
            if (payload.get("stream_options") instanceof Map<?, ?> given) {
                given.forEach((key, value) -> streamOptions.put(String.valueOf(key), value));
            }
            streamOptions.put("include_usage", true);
            payload.put("stream", true);
            payload.put("stream_options", streamOptions);
        } else {
            payload.remove("stream");
            payload.remove("stream_options");
        }
        try {
            return mapper.writeValueAsBytes(payload);
        } catch (JsonProcessingException e) {
            throw new ProviderException(ProviderException.Kind.INVALID_REQUEST, "the request could not be encoded as JSON", e);
        }
    }
}
