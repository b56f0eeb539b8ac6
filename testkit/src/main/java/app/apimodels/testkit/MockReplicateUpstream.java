package app.apimodels.testkit;

import com.github.tomakehurst.wiremock.client.ResponseDefinitionBuilder;
import com.github.tomakehurst.wiremock.common.Json;
import com.github.tomakehurst.wiremock.verification.LoggedRequest;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.net.URI;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Replicate's HTTP API faked at the wire (WireMock), for provider and end-to-end tests of
 * asynchronous generation.
 *
 * <p>It serves, under {@link #baseUrl()} ({@code http://localhost:PORT/v1}):
 * <ul>
 *   <li>{@code POST /models/{owner}/{name}/predictions}, {@code POST /deployments/{owner}/{name}/predictions}
 *       and {@code POST /predictions} (with a {@code version}): a new prediction in status
 *       {@code starting} (HTTP 201);</li>
 *   <li>{@code GET /predictions/{id}}: {@code processing} for the scripted number of
 *       {@link #pendingPolls pending polls}, then {@code succeeded} with the output file URLs
 *       (one file as a plain string, several as a list, as models differ) or {@code failed} with
 *       the scripted error;</li>
 *   <li>{@code POST /predictions/{id}/cancel}: the prediction, {@code canceled} unless finished;</li>
 *   <li>{@code GET /webhooks/default/secret}: {@code {"key": }{@link #webhookSecret()}{@code }};</li>
 *   <li>{@code GET /account}: the account.</li>
 * </ul>
 * Output files are served on the same port. Errors are Replicate's problem details
 * ({@code title}, {@code detail}, {@code status}, and {@code invalid_fields} for a 422 naming a
 * field). Webhooks are signed the Standard Webhooks way with {@link #webhookSecret()}. Configure
 * it from the test's thread; it may be called from any.
 *
 * <pre>{@code
 * try (MockReplicateUpstream replicate = new MockReplicateUpstream()) {
 *     replicate.pendingPolls(2).outputs("video/mp4", 1);
 *     ... submit through a provider pointed at replicate.baseUrl(), with a webhook URL ...
 *     String id = replicate.submissions().get(0).id();
 *     assertThat(replicate.webhook(id).deliver()).isEqualTo(200);   // completes by webhook
 * }
 * }</pre>
 */
public final class MockReplicateUpstream extends MockTaskUpstream<MockReplicateUpstream> {

    private static final Pattern PREDICTION = Pattern.compile("/v1/predictions/([^/]+)(/cancel)?");
    private static final Pattern NAMED = Pattern.compile("/v1/(models|deployments)/([^/]+)/([^/]+)/predictions");
    private static final SecureRandom RANDOM = new SecureRandom();

    private final String webhookSecret = "whsec_" + Base64.getEncoder().encodeToString(randomBytes(32));

    /** Starts the upstream on a free port. */
    public MockReplicateUpstream() {
        super("mock-replicate");
    }

    /** The API root to configure as the provider's base URL. */
    public String baseUrl() {
        return server.baseUrl() + "/v1";
    }

    /** The account's webhook signing secret ({@code whsec_…}). */
    public String webhookSecret() {
        return webhookSecret;
    }

    @Override
    MockReplicateUpstream self() {
        return this;
    }

    @Override
    String newId() {
        StringBuilder id = new StringBuilder();
        String alphabet = "abcdefghijklmnopqrstuvwxyz234567";
        for (int i = 0; i < 26; i++) {
            id.append(alphabet.charAt(RANDOM.nextInt(alphabet.length())));
        }
        return id.toString();
    }

    @Override
    ResponseDefinitionBuilder answer(LoggedRequest request, String path) {
        String method = request.getMethod().getName();
        Matcher named = NAMED.matcher(path);
        if (method.equals("POST") && named.matches()) {
            String model = named.group(2) + "/" + named.group(3);
            return create(request, named.group(1).equals("deployments") ? "deployment:" + model : model);
        }
        if (method.equals("POST") && path.equals("/v1/predictions")) {
            return create(request, null);
        }
        Matcher prediction = PREDICTION.matcher(path);
        if (prediction.matches()) {
            Task task = task(prediction.group(1));
            boolean cancel = prediction.group(2) != null;
            if (task == null || !method.equals(cancel ? "POST" : "GET")) {
                return error(404, "The requested resource could not be found.", null);
            }
            if (cancel) {
                cancel(task);
            } else {
                poll(task);
            }
            return json(200, prediction(task));
        }
        if (method.equals("GET") && path.equals("/v1/webhooks/default/secret")) {
            return json(200, Map.of("key", webhookSecret));
        }
        if (method.equals("GET") && path.equals("/v1/account")) {
            return json(200, Map.of("type", "user", "username", "mock", "name", "Mock Upstream"));
        }
        return error(404, "The requested resource could not be found.", null);
    }

    private ResponseDefinitionBuilder create(LoggedRequest request, String model) {
        Map<String, Object> body = jsonObject(request.getBody());
        if (body == null || !(body.get("input") instanceof Map<?, ?>)) {
            return error(400, "The request body must be a JSON object with an input.", null);
        }
        if (model == null) {
            if (!(body.get("version") instanceof String version)) {
                return error(422, "version is required", null);
            }
            model = version;
        }
        @SuppressWarnings("unchecked")
        Map<String, Object> input = (Map<String, Object>) body.get("input");
        URI webhook = body.get("webhook") instanceof String url ? URI.create(url) : null;
        return json(201, prediction(create(model, input, webhook)));
    }

    private Map<String, Object> prediction(Task task) {
        Map<String, Object> prediction = new LinkedHashMap<>();
        prediction.put("id", task.id);
        boolean version = !task.model.contains("/");
        prediction.put("model", version ? "mock/versioned-model" : task.model.replaceFirst("^deployment:", ""));
        prediction.put("version", version ? task.model : "hidden");
        prediction.put("input", task.input);
        prediction.put("logs", "");
        prediction.put("output", task.state == State.SUCCEEDED ? output(task) : null);
        prediction.put("data_removed", false);
        prediction.put("error", task.state == State.FAILED ? task.failure : null);
        prediction.put("status", status(task));
        prediction.put("created_at", iso(task.createdAt));
        prediction.put("started_at", task.polls > 0 ? iso(task.createdAt) : null);
        prediction.put("completed_at", iso(task.completedAt));
        prediction.put("urls", Map.of("get", baseUrl() + "/predictions/" + task.id,
                "cancel", baseUrl() + "/predictions/" + task.id + "/cancel",
                "web", "https://replicate.com/p/" + task.id));
        prediction.put("metrics", task.completedAt == null ? Map.of() : Map.of("predict_time", 1.25, "total_time", 1.5));
        return prediction;
    }

    private Object output(Task task) {
        List<String> urls = outputUrls(task);
        return urls.size() == 1 ? urls.get(0) : urls;
    }

    private static String status(Task task) {
        return switch (task.state) {
            case PENDING -> task.polls == 0 ? "starting" : "processing";
            case SUCCEEDED -> "succeeded";
            case FAILED -> "failed";
            case CANCELED -> "canceled";
        };
    }

    @Override
    ResponseDefinitionBuilder error(int status, String message, String field) {
        Map<String, Object> problem = new LinkedHashMap<>();
        problem.put("title", title(status));
        problem.put("detail", message);
        problem.put("status", status);
        if (status == 422 && field != null) {
            problem.put("invalid_fields", List.of(Map.of("type", "invalid", "field", "input." + field, "description", message)));
        }
        return json(status, problem).withHeader("Content-Type", "application/problem+json");
    }

    private static String title(int status) {
        return switch (status) {
            case 401 -> "Unauthenticated";
            case 402 -> "Insufficient credit";
            case 403 -> "Forbidden";
            case 404 -> "Not found";
            case 422 -> "Input validation failed";
            case 429 -> "Request was throttled";
            default -> status >= 500 ? "Internal server error" : "Bad request";
        };
    }

    @Override
    byte[] webhookBody(Task task) {
        return utf8(Json.write(prediction(task)));
    }

    @Override
    Map<String, String> signatureHeaders(Task task, byte[] body, Instant signedAt, boolean genuine) {
        String messageId = "msg_" + newId();
        String timestamp = Long.toString(signedAt.getEpochSecond());
        byte[] key = genuine ? Base64.getDecoder().decode(webhookSecret.substring("whsec_".length())) : randomBytes(32);
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key, "HmacSHA256"));
            mac.update(utf8(messageId + "." + timestamp + "."));
            String signature = Base64.getEncoder().encodeToString(mac.doFinal(body));
            return Map.of("webhook-id", messageId, "webhook-timestamp", timestamp,
                    "webhook-signature", "v1," + signature);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HMAC-SHA256 is unavailable", e);
        }
    }

    private static byte[] randomBytes(int count) {
        byte[] bytes = new byte[count];
        RANDOM.nextBytes(bytes);
        return bytes;
    }
}
