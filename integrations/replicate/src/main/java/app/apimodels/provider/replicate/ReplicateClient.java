package app.apimodels.provider.replicate;

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
import app.apimodels.spi.provider.TaskRequest;
import app.apimodels.spi.provider.TaskUpdate;
import app.apimodels.spi.provider.UpstreamCalls;
import app.apimodels.spi.webhook.InboundWebhook;
import app.apimodels.spi.webhook.WebhookVerificationException;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;

/**
 * One configured Replicate account. Tasks are predictions: created once, then read by id until
 * they finish, or reported by a webhook Replicate posts when they complete.
 */
final class ReplicateClient implements ProviderClient {

    static final URI DEFAULT_BASE_URL = URI.create("https://api.replicate.com/v1");
    /** Catalog option: the account's webhook signing secret ({@code whsec_…}). */
    static final String WEBHOOK_SECRET_OPTION = "webhook-secret";
    private static final Set<Operation> OPERATIONS = Set.of(Operation.IMAGES, Operation.VIDEO, Operation.AUDIO, Operation.SPEECH);
    /** A probe is a health check: it must not hang for a whole call's timeout. */
    private static final Duration MAX_PROBE_TIMEOUT = Duration.ofSeconds(10);

    private final ProviderConfig config;
    private final HttpTransport transport;
    private final ObjectMapper mapper;
    private final ReplicateErrors errors;
    private final Predictions predictions;
    private final WebhookSignatures signatures;
    private final String baseUrl;

    ReplicateClient(ProviderConfig config, HttpTransport transport, ObjectMapper mapper, Clock clock) {
        this.config = config;
        this.transport = Objects.requireNonNull(transport, "transport");
        this.mapper = mapper;
        Objects.requireNonNull(config.timeout(), "timeout");
        this.errors = new ReplicateErrors(mapper, config.apiKey());
        this.predictions = new Predictions(mapper, errors, clock);
        String base = (config.baseUrl() == null ? DEFAULT_BASE_URL : config.baseUrl()).toString();
        this.baseUrl = base.endsWith("/") ? base.substring(0, base.length() - 1) : base;
        try {
            this.signatures = new WebhookSignatures(config.options().get(WEBHOOK_SECRET_OPTION), this::fetchWebhookSecret, clock);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("provider " + config.id() + ": " + WEBHOOK_SECRET_OPTION + ": " + e.getMessage());
        }
    }

    @Override
    public Set<Operation> operations() {
        return OPERATIONS;
    }

    @Override
    public CompletableFuture<TaskUpdate> submit(TaskRequest request) {
        PredictionTarget target;
        byte[] body;
        try {
            target = PredictionTarget.of(request.upstreamModel());
            body = predictionBody(request, target);
        } catch (ProviderException e) {
            return CompletableFuture.failedFuture(e);
        }
        HttpRequestSpec spec = HttpRequestSpec.postJson(uri(target.path()), headers(), body, config.timeout());
        if (request.webhookUrl() == null) {
            return exchange(spec, this::prediction);
        }
        // With a webhook coming, know its signing secret before it can arrive.
        CompletableFuture<TaskUpdate> result = new CompletableFuture<>();
        signatures.ready().whenComplete((nothing, never) -> exchange(spec, this::prediction).whenComplete((update, failure) -> {
            if (failure != null) {
                result.completeExceptionally(failure);
            } else {
                result.complete(update);
            }
        }));
        return result;
    }

    @Override
    public CompletableFuture<TaskUpdate> poll(String upstreamId) {
        return exchange(HttpRequestSpec.get(uri("/predictions/" + segment(upstreamId)), headers(), config.timeout()),
                this::prediction);
    }

    @Override
    public CompletableFuture<Void> cancel(String upstreamId) {
        return exchange(HttpRequestSpec.postJson(uri("/predictions/" + segment(upstreamId) + "/cancel"), headers(),
                new byte[0], config.timeout()), response -> null);
    }

    @Override
    public Optional<TaskUpdate> parseWebhook(InboundWebhook webhook) {
        signatures.verify(webhook);
        try {
            return Optional.of(predictions.read(webhook.body()));
        } catch (IOException e) {
            throw new WebhookVerificationException("webhook body is not a prediction Replicate would send", e);
        }
    }

    @Override
    public CompletableFuture<Boolean> probe() {
        Duration timeout = config.timeout().compareTo(MAX_PROBE_TIMEOUT) < 0 ? config.timeout() : MAX_PROBE_TIMEOUT;
        return transport.send(HttpRequestSpec.get(uri("/account"), headers(), timeout))
                .handle((response, failure) -> failure == null && response.status() / 100 == 2);
    }

    @Override
    public CompletableFuture<ProviderResult> call(ProviderRequest request) {
        return CompletableFuture.failedFuture(tasksOnly());
    }

    @Override
    public Cancellable stream(ProviderRequest request, StreamSink sink) {
        sink.onError(tasksOnly());
        return () -> { };
    }

    @Override
    public String toString() {
        return "ReplicateClient[id=" + config.id() + ", baseUrl=" + baseUrl + "]";
    }

    private static ProviderException tasksOnly() {
        return new ProviderException(ProviderException.Kind.UPSTREAM_CONFIG, 0,
                "this provider runs generation tasks only", null, null);
    }

    private byte[] predictionBody(TaskRequest request, PredictionTarget target) {
        Map<String, Object> body = new LinkedHashMap<>();
        if (target.version() != null) {
            body.put("version", target.version());
        }
        body.put("input", request.input());
        if (request.webhookUrl() != null) {
            body.put("webhook", request.webhookUrl().toString());
            // Only the final state matters to the engine; intermediate events would be noise.
            body.put("webhook_events_filter", List.of("completed"));
        }
        try {
            return mapper.writeValueAsBytes(body);
        } catch (JsonProcessingException e) {
            throw new ProviderException(ProviderException.Kind.INVALID_REQUEST, "the input could not be encoded as JSON", e);
        }
    }

    /** Sends, maps failures, and reads a 2xx answer with {@code reader}. */
    private <T> CompletableFuture<T> exchange(HttpRequestSpec spec, Function<HttpResponseData, T> reader) {
        return UpstreamCalls.exchange(transport, spec, reader, errors::forStatus);
    }

    private TaskUpdate prediction(HttpResponseData response) {
        try {
            return predictions.read(response.body());
        } catch (IOException e) {
            throw errors.malformed(e);
        }
    }

    private CompletableFuture<String> fetchWebhookSecret() {
        return exchange(HttpRequestSpec.get(uri("/webhooks/default/secret"), headers(), config.timeout()), response -> {
            try {
                JsonNode key = mapper.readTree(response.body()).get("key");
                if (key == null || !key.isTextual()) {
                    throw new IOException("no key in the answer");
                }
                return key.asText();
            } catch (IOException e) {
                throw errors.malformed(e);
            }
        });
    }

    private URI uri(String path) {
        return URI.create(baseUrl + path);
    }

    /** Upstream ids come back from the engine's storage; encoded so none can change the path. */
    private static String segment(String upstreamId) {
        return URLEncoder.encode(Objects.requireNonNull(upstreamId, "upstreamId"), StandardCharsets.UTF_8).replace("+", "%20");
    }

    private Map<String, String> headers() {
        Map<String, String> headers = new HashMap<>();
        headers.put("Content-Type", "application/json");
        headers.put("Accept", "application/json");
        if (config.apiKey() != null && !config.apiKey().isBlank()) {
            headers.put("Authorization", "Bearer " + config.apiKey().strip());
        }
        return headers;
    }
}
