package app.apimodels.testkit;

import com.github.tomakehurst.wiremock.client.ResponseDefinitionBuilder;
import com.github.tomakehurst.wiremock.common.Json;
import com.github.tomakehurst.wiremock.http.QueryParameter;
import com.github.tomakehurst.wiremock.verification.LoggedRequest;

import java.net.URI;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.Signature;
import java.time.Instant;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * fal's queue API faked at the wire (WireMock), for provider and end-to-end tests of
 * asynchronous generation.
 *
 * <p>It serves, under {@link #baseUrl()} (the queue root, like {@code https://queue.fal.run}):
 * <ul>
 *   <li>{@code POST /{model id}} (any path, e.g. {@code fal-ai/flux/dev}; the app is its first
 *       two segments), with the input as body and an optional {@code fal_webhook} query
 *       parameter: {@code request_id}, {@code status_url}, {@code response_url} and
 *       {@code cancel_url} under the app;</li>
 *   <li>{@code GET /{app}/requests/{id}/status}: {@code IN_QUEUE} on the first of the scripted
 *       {@link #pendingPolls pending polls}, {@code IN_PROGRESS} on the others, then
 *       {@code COMPLETED};</li>
 *   <li>{@code GET /{app}/requests/{id}}: once completed, the result ({@code images: [{url,
 *       content_type…}]} for images, {@code video: {…}} or {@code audio: {…}} for one video or
 *       audio file), or for a failed request HTTP 422 with {@code detail: [{loc, msg, type}]};
 *       before that HTTP 400;</li>
 *   <li>{@code PUT /{app}/requests/{id}/cancel}: HTTP 202 {@code CANCELLATION_REQUESTED} (the
 *       request is then not finished by polls or webhooks as scripted but stays cancelled, and
 *       its result answers 400);</li>
 *   <li>{@code GET /.well-known/jwks.json} ({@link #jwksUrl()}): the Ed25519 public key webhooks
 *       are signed with.</li>
 * </ul>
 * Output files are served on the same port under {@code /files/}. Errors are
 * {@code {"detail": "…"}}, or {@code {"detail": [{loc, msg, type}]}} for a 422 naming a field.
 * Webhooks carry {@code X-Fal-Webhook-Request-Id}, {@code -User-Id}, {@code -Timestamp} and a
 * hex ED25519 {@code -Signature} over request id, user id, timestamp and the body's SHA-256, one
 * per line. Configure it from the test's thread; it may be called from any.
 */
public final class MockFalUpstream extends MockTaskUpstream<MockFalUpstream> {

    /** The fal user id webhooks are signed for. */
    public static final String USER_ID = "mock-fal-user";

    private static final Pattern REQUEST = Pattern.compile("/([^/]+/[^/]+)/requests/([^/]+)(/status|/cancel)?");
    private static final String JWKS = "/.well-known/jwks.json";

    private final KeyPair signingKey = ed25519();
    private final PrivateKey foreignKey = ed25519().getPrivate();

    /** Starts the upstream on a free port. */
    public MockFalUpstream() {
        super("mock-fal");
    }

    /** The queue root to configure as the provider's base URL. */
    public String baseUrl() {
        return server.baseUrl();
    }

    /** Where the webhook signing keys are published (the provider's {@code jwks-url}). */
    public String jwksUrl() {
        return server.baseUrl() + JWKS;
    }

    @Override
    MockFalUpstream self() {
        return this;
    }

    @Override
    String newId() {
        return UUID.randomUUID().toString();
    }

    @Override
    ResponseDefinitionBuilder answer(LoggedRequest request, String path) {
        String method = request.getMethod().getName();
        if (method.equals("GET") && path.equals(JWKS)) {
            return json(200, Map.of("keys", List.of(jwk())));
        }
        Matcher matcher = REQUEST.matcher(path);
        if (matcher.matches()) {
            Task task = task(matcher.group(2));
            String action = matcher.group(3) == null ? "" : matcher.group(3);
            String expected = action.equals("/cancel") ? "PUT" : "GET";
            if (task == null || !appOf(task.model).equals(matcher.group(1)) || !method.equals(expected)) {
                return error(404, "Request not found", null);
            }
            return switch (action) {
                case "/status" -> status(task);
                case "/cancel" -> cancelRequest(task);
                default -> result(task);
            };
        }
        if (method.equals("POST") && path.split("/").length >= 3) {
            return submit(request, path.substring(1));
        }
        return error(404, "Not Found", null);
    }

    private ResponseDefinitionBuilder submit(LoggedRequest request, String model) {
        Map<String, Object> input = jsonObject(request.getBody());
        if (input == null) {
            return error(422, "Input should be a valid JSON object", null);
        }
        QueryParameter webhook = request.queryParameter("fal_webhook");
        Task task = create(model, input, webhook.isPresent() ? URI.create(webhook.firstValue()) : null);
        String requestUrl = baseUrl() + "/" + appOf(model) + "/requests/" + task.id;
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("status", "IN_QUEUE");
        body.put("request_id", task.id);
        body.put("response_url", requestUrl);
        body.put("status_url", requestUrl + "/status");
        body.put("cancel_url", requestUrl + "/cancel");
        body.put("queue_position", 0);
        return json(200, body);
    }

    private ResponseDefinitionBuilder status(Task task) {
        poll(task);
        Map<String, Object> body = new LinkedHashMap<>();
        String requestUrl = baseUrl() + "/" + appOf(task.model) + "/requests/" + task.id;
        if (task.state != State.PENDING) {
            body.put("status", "COMPLETED");
            body.put("logs", null);
            body.put("metrics", Map.of("inference_time", 1.25));
        } else if (task.polls <= 1) {
            body.put("status", "IN_QUEUE");
            body.put("queue_position", 0);
        } else {
            body.put("status", "IN_PROGRESS");
            body.put("logs", null);
        }
        body.put("request_id", task.id);
        body.put("response_url", requestUrl);
        return json(200, body);
    }

    private ResponseDefinitionBuilder cancelRequest(Task task) {
        if (task.state != State.PENDING) {
            return json(400, Map.of("status", "ALREADY_COMPLETED"));
        }
        cancel(task);
        return json(202, Map.of("status", "CANCELLATION_REQUESTED"));
    }

    private ResponseDefinitionBuilder result(Task task) {
        return switch (task.state) {
            case PENDING -> error(400, "Request is still in progress", null);
            case CANCELED -> error(400, "Request was cancelled", null);
            case FAILED -> json(422, modelError(task)).withHeader("X-Fal-Retryable", "false");
            case SUCCEEDED -> json(200, payload(task));
        };
    }

    private static Map<String, Object> modelError(Task task) {
        return Map.of("detail", List.of(Map.of("loc", List.of("body"), "msg", task.failure, "type", "generation_failed")));
    }

    private Map<String, Object> payload(Task task) {
        List<String> urls = outputUrls(task);
        String type = task.outputTypes.get(0);
        Map<String, Object> payload = new LinkedHashMap<>();
        if (type.startsWith("image/")) {
            payload.put("images", urls.stream().map(url -> file(url, type)).toList());
            payload.put("seed", 42);
            payload.put("has_nsfw_concepts", urls.stream().map(url -> false).toList());
        } else if (urls.size() == 1) {
            payload.put(type.startsWith("video/") ? "video" : "audio", file(urls.get(0), type));
        } else {
            throw new IllegalStateException("the mock returns several files only for images");
        }
        return payload;
    }

    private static Map<String, Object> file(String url, String contentType) {
        Map<String, Object> file = new LinkedHashMap<>();
        file.put("url", url);
        file.put("content_type", contentType);
        file.put("file_name", url.substring(url.lastIndexOf('/') + 1).replaceFirst("\\?.*", ""));
        file.put("file_size", MockMedia.sample(contentType).length);
        return file;
    }

    @Override
    ResponseDefinitionBuilder error(int status, String message, String field) {
        Object detail = status == 422 && field != null
                ? List.of(Map.of("loc", List.of("body", field), "msg", message, "type", "value_error"))
                : message;
        return json(status, Map.of("detail", detail));
    }

    @Override
    byte[] webhookBody(Task task) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("request_id", task.id);
        body.put("gateway_request_id", task.id);
        if (task.state == State.SUCCEEDED) {
            body.put("status", "OK");
            body.put("payload", payload(task));
        } else {
            body.put("status", "ERROR");
            body.put("error", task.state == State.CANCELED ? "Request was cancelled" : "Invalid status code: 422");
            body.put("payload", task.state == State.CANCELED ? null : modelError(task));
        }
        return utf8(Json.write(body));
    }

    @Override
    Map<String, String> signatureHeaders(Task task, byte[] body, Instant signedAt, boolean genuine) {
        String timestamp = Long.toString(signedAt.getEpochSecond());
        try {
            String bodyHash = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(body));
            Signature signer = Signature.getInstance("Ed25519");
            signer.initSign(genuine ? signingKey.getPrivate() : foreignKey);
            signer.update(utf8(String.join("\n", task.id, USER_ID, timestamp, bodyHash)));
            return Map.of("X-Fal-Webhook-Request-Id", task.id, "X-Fal-Webhook-User-Id", USER_ID,
                    "X-Fal-Webhook-Timestamp", timestamp,
                    "X-Fal-Webhook-Signature", HexFormat.of().formatHex(signer.sign()));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("Ed25519 is unavailable", e);
        }
    }

    /** The public key as fal publishes it: an OKP JWK with the raw key, base64url-encoded. */
    private Map<String, Object> jwk() {
        byte[] encoded = signingKey.getPublic().getEncoded(); // X.509: a fixed prefix, then the 32 key bytes
        byte[] raw = Arrays.copyOfRange(encoded, encoded.length - 32, encoded.length);
        return Map.of("kty", "OKP", "crv", "Ed25519", "use", "sig", "alg", "EdDSA", "kid", "mock-fal-key",
                "x", Base64.getUrlEncoder().withoutPadding().encodeToString(raw));
    }

    private static String appOf(String model) {
        String[] segments = model.split("/");
        return segments[0] + "/" + segments[1];
    }

    private static KeyPair ed25519() {
        try {
            return KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("Ed25519 is unavailable", e);
        }
    }
}
