package app.apimodels.provider.gemini;

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
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.regex.Pattern;

/**
 * One configured Gemini upstream. Chat requests in OpenAI's format are translated
 * ({@link ChatRequests}) and sent to {@code /v1beta/models/{model}:generateContent}, or
 * {@code :streamGenerateContent?alt=sse} for streams; answers come back in OpenAI's format
 * ({@link Answers}). Embeddings go to {@code :batchEmbedContents} ({@link Embeddings}). The key
 * goes in the {@code x-goog-api-key} header, never in the URL.
 */
final class GeminiClient implements ProviderClient {

    private static final Duration MAX_PROBE_TIMEOUT = Duration.ofSeconds(10);
    private static final String JSON = "application/json";
    /** Gemini model ids; anything else in a URL path would be a catalog mistake. */
    private static final Pattern MODEL = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]*");

    private final ProviderConfig config;
    private final HttpTransport transport;
    private final ObjectMapper mapper;
    private final GeminiErrors errors;
    private final ChatRequests requests;
    private final Answers answers;
    private final Embeddings embeddings;
    private final Clock clock = Clock.systemUTC();
    private final String baseUrl;

    GeminiClient(ProviderConfig config, HttpTransport transport, ObjectMapper mapper) {
        this.config = config;
        this.transport = Objects.requireNonNull(transport, "transport");
        this.mapper = mapper;
        this.errors = new GeminiErrors(mapper, config.apiKey());
        this.requests = new ChatRequests(mapper);
        this.answers = new Answers(mapper);
        this.embeddings = new Embeddings(mapper);
        Objects.requireNonNull(config.timeout(), "timeout");
        String base = config.baseUrl() == null ? "https://generativelanguage.googleapis.com" : config.baseUrl().toString();
        this.baseUrl = base.endsWith("/") ? base.substring(0, base.length() - 1) : base;
    }

    @Override
    public Set<Operation> operations() {
        return Set.of(Operation.CHAT, Operation.EMBEDDINGS);
    }

    @Override
    public CompletableFuture<ProviderResult> call(ProviderRequest request) {
        if (request.operation() == Operation.EMBEDDINGS) {
            return embed(request);
        }
        HttpRequestSpec spec;
        try {
            spec = post(request, ":generateContent", JSON, config.timeout());
        } catch (ProviderException e) {
            return CompletableFuture.failedFuture(e);
        }
        long created = clock.instant().getEpochSecond();
        return send(spec, answer -> new ProviderResult(mapper.writeValueAsBytes(
                answers.completion(answer, request.upstreamModel(), created)), JSON, Answers.usage(answer)));
    }

    /**
     * Embeddings: the vectors from {@code batchEmbedContents} and, at the same time, the input
     * tokens from {@code countTokens} (Gemini reports no usage with embeddings). Counting is best
     * effort: if it fails the usage is left out, and the engine counts the input itself.
     */
    private CompletableFuture<ProviderResult> embed(ProviderRequest request) {
        List<String> texts;
        HttpRequestSpec batch;
        HttpRequestSpec count;
        try {
            String model = model(request);
            texts = Embeddings.texts(request.payload());
            batch = post(model, ":batchEmbedContents", embeddings.batchRequest(model, texts, request.payload()));
            count = post(model, ":countTokens", Embeddings.countRequest(texts));
        } catch (ProviderException e) {
            return CompletableFuture.failedFuture(e);
        }
        boolean base64 = "base64".equals(request.payload().get("encoding_format"));
        CompletableFuture<Long> tokens = send(count, answer -> answer.path("totalTokens").isIntegralNumber()
                ? answer.get("totalTokens").asLong() : null);
        CompletableFuture<JsonNode> vectors = send(batch, answer -> answer);
        CompletableFuture<ProviderResult> result = vectors.thenCombine(tokens.exceptionally(failure -> null), (answer, input) -> {
            try {
                return new ProviderResult(mapper.writeValueAsBytes(embeddings.answer(answer, request.upstreamModel(), texts.size(),
                        base64, input)), JSON, input == null ? null : Usage.tokens(input, 0, 0));
            } catch (IOException | RuntimeException e) {
                throw errors.malformed(e);
            }
        });
        result.whenComplete((value, failure) -> {
            if (result.isCancelled()) {
                vectors.cancel(true);
                tokens.cancel(true);
            }
        });
        return result;
    }

    /** Reads a successful JSON answer; may throw if it is not what Gemini promises. */
    @FunctionalInterface
    private interface Reader<T> {
        T read(JsonNode answer) throws IOException;
    }

    /**
     * Sends a request and reads its JSON answer; failures are ProviderExceptions (Google's errors
     * mapped, with Retry-After), and cancelling the result stops the exchange.
     */
    private <T> CompletableFuture<T> send(HttpRequestSpec spec, Reader<T> reader) {
        return UpstreamCalls.exchange(transport, spec, response -> {
            try {
                JsonNode answer = mapper.readTree(response.body());
                if (answer == null || !answer.isObject()) {
                    throw new IOException("not a JSON object");
                }
                return reader.read(answer);
            } catch (IOException | RuntimeException e) {
                throw errors.malformed(e);
            }
        }, response -> errors.forStatus(response.status(), response.body()).withRetryAfter(response.headers()));
    }

    @Override
    public Cancellable stream(ProviderRequest request, StreamSink sink) {
        HttpRequestSpec spec;
        try {
            spec = post(request, ":streamGenerateContent?alt=sse", "text/event-stream", config.timeout());
        } catch (ProviderException e) {
            sink.onError(e);
            return () -> { };
        }
        GeminiStream relay = new GeminiStream(sink, mapper, errors, request.upstreamModel(), clock.instant().getEpochSecond());
        relay.attach(transport.stream(spec, relay));
        return relay::cancel;
    }

    /** Lists models: answers only with a key Google accepts. */
    @Override
    public CompletableFuture<Boolean> probe() {
        Duration timeout = config.timeout().compareTo(MAX_PROBE_TIMEOUT) < 0 ? config.timeout() : MAX_PROBE_TIMEOUT;
        return transport.send(HttpRequestSpec.get(URI.create(baseUrl + "/v1beta/models?pageSize=1"), headers(JSON, JSON), timeout))
                .handle((response, failure) -> failure == null && response.status() / 100 == 2);
    }

    @Override
    public String toString() {
        return "GeminiClient[id=" + config.id() + ", baseUrl=" + baseUrl + "]";
    }

    private HttpRequestSpec post(ProviderRequest request, String method, String accept, Duration timeout) {
        if (request.operation() != Operation.CHAT) {
            throw new ProviderException(ProviderException.Kind.UPSTREAM_CONFIG, 0,
                    "this provider does not offer " + request.operation() + " as a stream", null, null);
        }
        return new HttpRequestSpec("POST", URI.create(baseUrl + "/v1beta/models/" + model(request) + method),
                headers(JSON, accept), json(requests.generateContent(request.payload())), timeout, timeout);
    }

    private HttpRequestSpec post(String model, String method, Map<String, Object> body) {
        return new HttpRequestSpec("POST", URI.create(baseUrl + "/v1beta/models/" + model + method),
                headers(JSON, JSON), json(body), config.timeout(), config.timeout());
    }

    /** The catalog's upstream model as it goes into a URL path ({@code models/} prefix optional). */
    private static String model(ProviderRequest request) {
        String model = request.upstreamModel().startsWith("models/")
                ? request.upstreamModel().substring("models/".length()) : request.upstreamModel();
        if (!MODEL.matcher(model).matches()) {
            throw new ProviderException(ProviderException.Kind.UPSTREAM_CONFIG, 0,
                    "the catalog's upstream model name is not a Gemini model id", null, null);
        }
        return model;
    }

    private byte[] json(Object body) {
        try {
            return mapper.writeValueAsBytes(body);
        } catch (IOException e) {
            throw new ProviderException(ProviderException.Kind.INVALID_REQUEST, "the request could not be encoded as JSON", e);
        }
    }

    private Map<String, String> headers(String contentType, String accept) {
        return Map.of("Content-Type", contentType, "Accept", accept,
                "x-goog-api-key", config.apiKey() == null ? "" : config.apiKey().strip());
    }
}
