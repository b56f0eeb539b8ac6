package app.apimodels.provider.fal;

import app.apimodels.spi.provider.TaskOutput;
import app.apimodels.spi.provider.TaskUpdate;
import app.apimodels.spi.webhook.InboundWebhook;
import app.apimodels.spi.webhook.WebhookVerificationException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.PublicKey;
import java.security.Signature;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;

/**
 * Verifies and reads fal's webhooks. fal signs each with ED25519: {@code X-Fal-Webhook-Signature}
 * (hex) over the request id, user id and timestamp headers and the hex SHA-256 of the body, one
 * per line; the public keys come from fal's JWKS. The body is
 * {@code {request_id, status: OK|ERROR, payload, error}}.
 */
final class FalWebhooks {

    /** fal's documented replay window, in either direction. */
    static final Duration TOLERANCE = Duration.ofMinutes(5);
    private static final String REQUEST_ID = "X-Fal-Webhook-Request-Id";
    private static final String USER_ID = "X-Fal-Webhook-User-Id";
    private static final String TIMESTAMP = "X-Fal-Webhook-Timestamp";
    private static final String SIGNATURE = "X-Fal-Webhook-Signature";

    private final SigningKeys keys;
    private final ObjectMapper mapper;
    private final FalErrors errors;
    private final Clock clock;

    FalWebhooks(SigningKeys keys, ObjectMapper mapper, FalErrors errors, Clock clock) {
        this.keys = keys;
        this.mapper = mapper;
        this.errors = errors;
        this.clock = clock;
    }

    Optional<TaskUpdate> parse(InboundWebhook webhook) {
        String requestId = verify(webhook);
        JsonNode body;
        try {
            body = mapper.readTree(webhook.body());
        } catch (IOException e) {
            throw new WebhookVerificationException("webhook body is not JSON", e);
        }
        if (!requestId.equals(body.path("request_id").asText())) {
            throw new WebhookVerificationException("webhook body and headers name different requests");
        }
        QueueRequest request = QueueRequest.ofWebhook(webhook.url(), requestId);
        if (request == null) {
            throw new WebhookVerificationException("webhook URL lacks a valid " + QueueRequest.APP_PARAMETER
                    + " parameter; was the URL passed on with its query?");
        }
        String id = request.upstreamId();
        return switch (body.path("status").asText()) {
            case "OK" -> succeeded(id, body.get("payload"));
            case "ERROR" -> Optional.of(TaskUpdate.failed(id, failure(body)));
            default -> throw new WebhookVerificationException("webhook has an unknown status");
        };
    }

    /** @return the request id the webhook is signed for */
    private String verify(InboundWebhook webhook) {
        String requestId = header(webhook, REQUEST_ID);
        String userId = header(webhook, USER_ID);
        String timestamp = header(webhook, TIMESTAMP);
        byte[] signature;
        Instant signedAt;
        try {
            signature = HexFormat.of().parseHex(header(webhook, SIGNATURE).strip());
        } catch (IllegalArgumentException e) {
            throw new WebhookVerificationException("webhook signature is not hex");
        }
        try {
            signedAt = Instant.ofEpochSecond(Long.parseLong(timestamp.strip()));
        } catch (RuntimeException e) {
            throw new WebhookVerificationException("webhook timestamp is not a Unix time");
        }
        if (Duration.between(signedAt, clock.instant()).abs().compareTo(TOLERANCE) > 0) {
            throw new WebhookVerificationException("webhook timestamp is more than " + TOLERANCE.toMinutes()
                    + " minutes from now; refusing a possible replay");
        }
        List<PublicKey> known = keys.current();
        if (known.isEmpty()) {
            throw new WebhookVerificationException("fal's webhook signing keys are not loaded yet");
        }
        byte[] message = String.join("\n", requestId, userId, timestamp, sha256Hex(webhook.body()))
                .getBytes(StandardCharsets.UTF_8);
        for (PublicKey key : known) {
            if (verifies(key, message, signature)) {
                return requestId;
            }
        }
        keys.mismatch();
        throw new WebhookVerificationException("webhook signature does not match");
    }

    private Optional<TaskUpdate> succeeded(String id, JsonNode payload) {
        if (payload == null || payload.isNull()) {
            // fal could not put the result in the webhook (payload_error); polling fetches it.
            return Optional.empty();
        }
        List<TaskOutput> outputs = FalResults.outputs(payload);
        return Optional.of(outputs.isEmpty() ? TaskUpdate.failed(id, "the upstream finished without producing a file")
                : TaskUpdate.succeeded(id, outputs, null));
    }

    private String failure(JsonNode body) {
        String detail = errors.describe(body.path("payload").get("detail"));
        if (detail != null) {
            return detail;
        }
        String error = errors.scrub(body.path("error").asText(null));
        return error != null ? error : "the upstream task failed";
    }

    private static boolean verifies(PublicKey key, byte[] message, byte[] signature) {
        try {
            Signature verifier = Signature.getInstance("Ed25519");
            verifier.initVerify(key);
            verifier.update(message);
            return verifier.verify(signature);
        } catch (GeneralSecurityException e) {
            return false;
        }
    }

    private static String sha256Hex(byte[] body) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(body));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("SHA-256 is unavailable", e);
        }
    }

    private static String header(InboundWebhook webhook, String name) {
        String value = webhook.header(name);
        if (value == null || value.isBlank()) {
            throw new WebhookVerificationException("webhook lacks the " + name + " header");
        }
        return value;
    }
}
