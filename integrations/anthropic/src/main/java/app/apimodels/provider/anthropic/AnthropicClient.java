package app.apimodels.provider.anthropic;

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
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

/**
 * One configured Anthropic upstream: chat completions translated to {@code POST /v1/messages}
 * and back, streamed or not; and Anthropic's own Messages requests ({@link Operation#MESSAGES},
 * {@link Operation#COUNT_TOKENS}) passed through with only the model name changed, their answers
 * handed back as they came.
 */
final class AnthropicClient implements ProviderClient {

    /** Catalog option: the {@code max_tokens} sent when the client gives none. */
    static final String MAX_TOKENS_OPTION = "max-tokens";
    static final long DEFAULT_MAX_TOKENS = 4096;
    /** The Messages API version this translation follows. */
    static final String API_VERSION = "2023-06-01";
    private static final String JSON = "application/json";
    /** A probe is a health check: it must not hang for a whole call's timeout. */
    private static final Duration MAX_PROBE_TIMEOUT = Duration.ofSeconds(10);

    private final ProviderConfig config;
    private final HttpTransport transport;
    private final ObjectMapper mapper;
    private final AnthropicErrors errors;
    private final MessagesRequest requests;
    private final ChatCompletion completions;
    private final URI messages;
    private final URI countTokens;
    private final URI models;
    private final long defaultMaxTokens;

    AnthropicClient(ProviderConfig config, HttpTransport transport, ObjectMapper mapper) {
        this.config = config;
        this.transport = Objects.requireNonNull(transport, "transport");
        this.mapper = mapper;
        this.errors = new AnthropicErrors(mapper, config.apiKey());
        this.requests = new MessagesRequest(mapper);
        this.completions = new ChatCompletion(mapper, Clock.systemUTC());
        Objects.requireNonNull(config.baseUrl(), "baseUrl");
        Objects.requireNonNull(config.timeout(), "timeout");
        String base = config.baseUrl().toString();
        String root = base.endsWith("/") ? base.substring(0, base.length() - 1) : base;
        this.messages = URI.create(root + "/v1/messages");
        this.countTokens = URI.create(root + "/v1/messages/count_tokens");
        this.models = URI.create(root + "/v1/models");
        this.defaultMaxTokens = maxTokens(config);
    }

    private static long maxTokens(ProviderConfig config) {
        String value = config.options().get(MAX_TOKENS_OPTION);
        if (value == null) {
            return DEFAULT_MAX_TOKENS;
        }
        try {
            long tokens = Long.parseLong(value.strip());
            if (tokens > 0) {
                return tokens;
            }
        } catch (NumberFormatException e) {
            // answered below
        }
        throw new IllegalArgumentException("provider " + config.id() + ": " + MAX_TOKENS_OPTION
                + " must be a positive whole number, not '" + value + "'");
    }

    @Override
    public Set<Operation> operations() {
        return Set.of(Operation.CHAT, Operation.MESSAGES, Operation.COUNT_TOKENS);
    }

    @Override
    public CompletableFuture<ProviderResult> call(ProviderRequest request) {
        HttpRequestSpec spec;
        try {
            spec = request(request, false);
        } catch (ProviderException e) {
            return CompletableFuture.failedFuture(e);
        }
        // A caller giving up (cancelling the result) stops the upstream call.
        return UpstreamCalls.exchange(transport, spec, response -> {
            try {
                return read(request.operation(), response.body());
            } catch (ProviderException e) {
                throw e;
            } catch (IOException | RuntimeException e) {
                throw errors.malformed(e);
            }
        }, response -> errors.forStatus(response.status(), response.body()).withRetryAfter(response.headers()));
    }

    private ProviderResult read(Operation operation, byte[] answer) throws IOException {
        JsonNode json = mapper.readTree(answer);
        if (operation == Operation.COUNT_TOKENS) {
            if (json == null || !json.path("input_tokens").isIntegralNumber()) {
                throw errors.malformed(null);
            }
            return new ProviderResult(answer, JSON, null);
        }
        if (json == null || !"message".equals(json.path("type").asText())) {
            throw errors.malformed(null);
        }
        Usage usage = ChatCompletion.usage(json.path("usage"));
        return operation == Operation.MESSAGES ? new ProviderResult(answer, JSON, usage)
                : new ProviderResult(mapper.writeValueAsBytes(completions.translate(json)), JSON, usage);
    }

    @Override
    public Cancellable stream(ProviderRequest request, StreamSink sink) {
        HttpRequestSpec spec;
        try {
            spec = request(request, true);
        } catch (ProviderException e) {
            sink.onError(e);
            return () -> { };
        }
        AnthropicEvents relay = request.operation() == Operation.MESSAGES ? new MessagesEvents(sink, mapper, errors)
                : new AnthropicStream(sink, mapper, errors, completions);
        relay.attach(transport.stream(spec, relay));
        return relay::cancel;
    }

    /** Lists models: cheap, and fails when the key is refused. */
    @Override
    public CompletableFuture<Boolean> probe() {
        Duration timeout = config.timeout().compareTo(MAX_PROBE_TIMEOUT) < 0 ? config.timeout() : MAX_PROBE_TIMEOUT;
        return transport.send(HttpRequestSpec.get(models, headers(JSON), timeout))
                .handle((response, failure) -> failure == null && response.status() / 100 == 2);
    }

    private Map<String, String> headers(String accept) {
        return Map.of("Content-Type", JSON, "Accept", accept, "anthropic-version", API_VERSION,
                "x-api-key", config.apiKey() == null ? "" : config.apiKey().strip());
    }

    private HttpRequestSpec request(ProviderRequest request, boolean stream) {
        Map<String, Object> body;
        URI uri = messages;
        switch (request.operation()) {
            case CHAT -> body = requests.translate(request.payload(), request.upstreamModel(), defaultMaxTokens, stream);
            case MESSAGES, COUNT_TOKENS -> {
                // Passed through: every field the client sent (new ones included) reaches Anthropic.
                body = new LinkedHashMap<>(request.payload());
                body.put("model", request.upstreamModel());
                if (stream) {
                    body.put("stream", true);
                }
                if (request.operation() == Operation.COUNT_TOKENS) {
                    uri = countTokens;
                }
            }
            default -> throw new ProviderException(ProviderException.Kind.INVALID_REQUEST,
                    "operation " + request.operation() + " is not offered by this provider", null);
        }
        byte[] json;
        try {
            json = mapper.writeValueAsBytes(body);
        } catch (JsonProcessingException e) {
            throw new ProviderException(ProviderException.Kind.INVALID_REQUEST, "the request could not be encoded as JSON", e);
        }
        return new HttpRequestSpec("POST", uri, headers(stream ? "text/event-stream" : JSON), json, config.timeout(), config.timeout());
    }

    @Override
    public String toString() {
        return "AnthropicClient[id=" + config.id() + ", url=" + messages + "]";
    }
}
