package app.apimodels.provider.fal;

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
import app.apimodels.spi.provider.TaskOutput;
import app.apimodels.spi.provider.TaskState;
import app.apimodels.spi.provider.TaskRequest;
import app.apimodels.spi.provider.TaskUpdate;
import app.apimodels.spi.provider.UpstreamCalls;
import app.apimodels.spi.webhook.InboundWebhook;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;

/**
 * One configured fal account. Tasks are queue requests: submitted to the model's path, then read
 * under the model's app (status until completed, then the result), or reported by a webhook fal
 * posts when they complete.
 */
final class FalClient implements ProviderClient {

    static final URI DEFAULT_BASE_URL = URI.create("https://queue.fal.run");
    /** Catalog option: where fal publishes its webhook signing keys. */
    static final String JWKS_URL_OPTION = "jwks-url";
    static final URI DEFAULT_JWKS_URL = URI.create("https://rest.fal.ai/.well-known/jwks.json");
    private static final Set<Operation> OPERATIONS = Set.of(Operation.IMAGES, Operation.VIDEO, Operation.AUDIO, Operation.SPEECH);

    private final ProviderConfig config;
    private final HttpTransport transport;
    private final ObjectMapper mapper;
    private final FalErrors errors;
    private final SigningKeys signingKeys;
    private final FalWebhooks webhooks;
    private final String baseUrl;
    private final URI jwksUrl;

    FalClient(ProviderConfig config, HttpTransport transport, ObjectMapper mapper, Clock clock) {
        this.config = config;
        this.transport = Objects.requireNonNull(transport, "transport");
        this.mapper = mapper;
        Objects.requireNonNull(config.timeout(), "timeout");
        this.errors = new FalErrors(mapper, config.apiKey());
        String base = (config.baseUrl() == null ? DEFAULT_BASE_URL : config.baseUrl()).toString();
        this.baseUrl = base.endsWith("/") ? base.substring(0, base.length() - 1) : base;
        this.jwksUrl = jwksUrl(config);
        this.signingKeys = new SigningKeys(this::fetchJwks, mapper, clock);
        this.webhooks = new FalWebhooks(signingKeys, mapper, errors, clock);
    }

    private static URI jwksUrl(ProviderConfig config) {
        String configured = config.options().get(JWKS_URL_OPTION);
        if (configured == null || configured.isBlank()) {
            return DEFAULT_JWKS_URL;
        }
        try {
            URI uri = URI.create(configured.strip());
            if (uri.getScheme() == null || !uri.getScheme().startsWith("http")) {
                throw new IllegalArgumentException("not an http(s) URL");
            }
            return uri;
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("provider " + config.id() + ": " + JWKS_URL_OPTION + " must be an http(s) URL", e);
        }
    }

    @Override
    public Set<Operation> operations() {
        return OPERATIONS;
    }

    @Override
    public CompletableFuture<TaskUpdate> submit(TaskRequest request) {
        String app;
        byte[] body;
        try {
            app = QueueRequest.appOf(request.upstreamModel());
            body = mapper.writeValueAsBytes(request.input());
        } catch (ProviderException e) {
            return CompletableFuture.failedFuture(e);
        } catch (JsonProcessingException e) {
            return CompletableFuture.failedFuture(new ProviderException(ProviderException.Kind.INVALID_REQUEST,
                    "the input could not be encoded as JSON", e));
        }
        String url = baseUrl + "/" + request.upstreamModel();
        if (request.webhookUrl() != null) {
            url += "?fal_webhook=" + URLEncoder.encode(QueueRequest.webhookUrl(request.webhookUrl(), app).toString(), StandardCharsets.UTF_8);
        }
        HttpRequestSpec spec = HttpRequestSpec.postJson(URI.create(url), headers(), body, config.timeout());
        Function<HttpResponseData, TaskUpdate> submitted = response -> {
            JsonNode requestId = json(response).get("request_id");
            if (requestId == null || !requestId.isTextual()) {
                throw errors.malformed(null);
            }
            return TaskUpdate.pending(new QueueRequest(app, requestId.asText()).upstreamId(), TaskState.QUEUED);
        };
        if (request.webhookUrl() == null) {
            return exchange(spec, submitted);
        }
        // With a webhook coming, know fal's signing keys before it can arrive.
        CompletableFuture<TaskUpdate> result = new CompletableFuture<>();
        signingKeys.ready().whenComplete((nothing, never) -> relay(exchange(spec, submitted), result));
        return result;
    }

    @Override
    public CompletableFuture<TaskUpdate> poll(String upstreamId) {
        QueueRequest request;
        try {
            request = QueueRequest.parse(upstreamId);
        } catch (ProviderException e) {
            return CompletableFuture.failedFuture(e);
        }
        String path = baseUrl + "/" + request.upstreamId();
        CompletableFuture<TaskUpdate> result = new CompletableFuture<>();
        exchange(HttpRequestSpec.get(URI.create(path + "/status?logs=0"), headers(), config.timeout()), this::json)
                .whenComplete((status, failure) -> {
                    if (failure != null) {
                        result.completeExceptionally(failure);
                        return;
                    }
                    switch (status.path("status").asText()) {
                        case "IN_QUEUE" -> result.complete(TaskUpdate.pending(upstreamId, TaskState.QUEUED));
                        case "IN_PROGRESS" -> result.complete(TaskUpdate.pending(upstreamId, TaskState.RUNNING));
                        // COMPLETED, or a state fal added since: the result says how it ended.
                        default -> relay(result(path, upstreamId), result);
                    }
                });
        return result;
    }

    @Override
    public CompletableFuture<Void> cancel(String upstreamId) {
        QueueRequest request;
        try {
            request = QueueRequest.parse(upstreamId);
        } catch (ProviderException e) {
            return CompletableFuture.failedFuture(e);
        }
        HttpRequestSpec spec = new HttpRequestSpec("PUT", URI.create(baseUrl + "/" + request.upstreamId() + "/cancel"),
                headers(), null, config.timeout(), config.timeout());
        CompletableFuture<Void> result = new CompletableFuture<>();
        transport.send(spec).whenComplete((response, failure) -> {
            if (failure != null) {
                result.completeExceptionally(errors.forTransport(failure));
            } else if (response.status() / 100 == 2 || response.status() == 400 || response.status() == 404) {
                // 400 ALREADY_COMPLETED, 404 NOT_FOUND: nothing left to stop.
                result.complete(null);
            } else {
                result.completeExceptionally(errors.forStatus(response));
            }
        });
        return result;
    }

    @Override
    public Optional<TaskUpdate> parseWebhook(InboundWebhook webhook) {
        return webhooks.parse(webhook);
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
        return "FalClient[id=" + config.id() + ", baseUrl=" + baseUrl + "]";
    }

    private static ProviderException tasksOnly() {
        return new ProviderException(ProviderException.Kind.UPSTREAM_CONFIG, 0,
                "this provider runs generation tasks only", null, null);
    }

    /**
     * A completed request's result. A request that failed at fal answers here with an error
     * carrying a {@code detail}: that is the task's failure, not this call's. Credentials, rate
     * limits and answers without a detail are this call's failures.
     */
    private CompletableFuture<TaskUpdate> result(String path, String upstreamId) {
        CompletableFuture<TaskUpdate> result = new CompletableFuture<>();
        transport.send(HttpRequestSpec.get(URI.create(path), headers(), config.timeout())).whenComplete((response, failure) -> {
            if (failure != null) {
                result.completeExceptionally(errors.forTransport(failure));
                return;
            }
            int status = response.status();
            if (status / 100 == 2) {
                try {
                    List<TaskOutput> outputs = FalResults.outputs(json(response));
                    result.complete(outputs.isEmpty() ? TaskUpdate.failed(upstreamId, "the upstream finished without producing a file")
                            : TaskUpdate.succeeded(upstreamId, outputs, null));
                } catch (ProviderException e) {
                    result.completeExceptionally(e);
                }
                return;
            }
            String detail = status == 401 || status == 403 || status == 408 || status == 429 ? null
                    : errors.describe(errors.detail(response.body()));
            if (detail != null) {
                result.complete(TaskUpdate.failed(upstreamId, detail));
            } else {
                result.completeExceptionally(errors.forStatus(response));
            }
        });
        return result;
    }

    /** Sends, maps failures, and reads a 2xx answer with {@code reader}. */
    private <T> CompletableFuture<T> exchange(HttpRequestSpec spec, Function<HttpResponseData, T> reader) {
        return UpstreamCalls.exchange(transport, spec, reader, errors::forStatus);
    }

    private static <T> void relay(CompletableFuture<T> from, CompletableFuture<T> to) {
        from.whenComplete((value, failure) -> {
            if (failure != null) {
                to.completeExceptionally(failure);
            } else {
                to.complete(value);
            }
        });
    }

    private JsonNode json(HttpResponseData response) {
        try {
            JsonNode node = mapper.readTree(response.body());
            if (node == null || !node.isObject()) {
                throw new IOException("not a JSON object");
            }
            return node;
        } catch (IOException e) {
            throw errors.malformed(e);
        }
    }

    /** The JWKS is public: fetched without our key, which must not go to a configurable URL. */
    private CompletableFuture<byte[]> fetchJwks() {
        return exchange(HttpRequestSpec.get(jwksUrl, Map.of("Accept", "application/json"), config.timeout()),
                HttpResponseData::body);
    }

    private Map<String, String> headers() {
        Map<String, String> headers = new HashMap<>();
        headers.put("Content-Type", "application/json");
        headers.put("Accept", "application/json");
        if (config.apiKey() != null && !config.apiKey().isBlank()) {
            headers.put("Authorization", "Key " + config.apiKey().strip());
        }
        return headers;
    }
}
