package app.apimodels.provider.gemini;

import app.apimodels.spi.provider.ProviderException;
import app.apimodels.spi.provider.ProviderException.Kind;
import app.apimodels.spi.provider.Redactor;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.math.BigDecimal;
import java.time.Duration;

/**
 * Turns Gemini's failures ({@code {"error": {"code", "message", "status", "details"}}}, Google's
 * API error shape) into {@link ProviderException}s safe to show a client: only the client's own
 * mistakes carry Google's words, scrubbed of anything like a secret. Google answers a bad API key
 * with 400 {@code API_KEY_INVALID} and an unsupported region or unpaid project with 400
 * {@code FAILED_PRECONDITION}: both are the gateway's configuration, not the client's request.
 * A 429 {@code RESOURCE_EXHAUSTED} is a passing rate limit when every {@code google.rpc.QuotaFailure}
 * violation it lists is a per-minute (or per-second) quota; a per-day quota, one of limit 0 (the
 * tier has none for the model) or a billing reason means the key's project is out of quota. Either
 * way {@code google.rpc.RetryInfo.retryDelay} ("13s") is the wait it asks for.
 */
final class GeminiErrors {

    private final ObjectMapper mapper;
    private final Redactor redactor;

    GeminiErrors(ObjectMapper mapper, String apiKey) {
        this.mapper = mapper;
        this.redactor = new Redactor(apiKey);
    }

    ProviderException forStatus(int status, byte[] body) {
        JsonNode error = error(body);
        if (status == 401 || status == 403 || (status == 400 && gatewaysFault(error))) {
            return new ProviderException(Kind.UPSTREAM_CONFIG, status, "upstream rejected the gateway's credentials or project (HTTP "
                    + status + ")", null, null);
        }
        if (status == 404) {
            return new ProviderException(Kind.UPSTREAM_CONFIG, status, "upstream model not found (HTTP 404)", null, null);
        }
        if (status == 408) {
            return new ProviderException(Kind.TIMEOUT, status, "upstream timed out (HTTP 408)", null, null);
        }
        if (status == 429) {
            Duration retryDelay = retryDelay(error);
            return outOfQuota(error)
                    ? new ProviderException(Kind.UPSTREAM_CONFIG, status, "upstream project is out of quota (HTTP 429)", null, null, retryDelay)
                    : new ProviderException(Kind.RATE_LIMITED, status, "upstream rate limit reached (HTTP 429)", null, null, retryDelay);
        }
        if (status >= 500) {
            return new ProviderException(Kind.UPSTREAM_ERROR, status, "upstream failed (HTTP " + status + ")", null, null);
        }
        if (status >= 400) {
            String message = redactor.scrub(error == null ? null : error.path("message").textValue());
            return new ProviderException(Kind.INVALID_REQUEST, status,
                    message == null ? "upstream rejected the request (HTTP " + status + ")" : message, null, null);
        }
        return new ProviderException(Kind.UPSTREAM_CONFIG, status, "unexpected upstream answer (HTTP " + status + ")", null, null);
    }

    private static boolean gatewaysFault(JsonNode error) {
        if (error == null) {
            return false;
        }
        if ("FAILED_PRECONDITION".equals(error.path("status").textValue())) {
            return true;
        }
        for (JsonNode detail : error.path("details")) {
            String reason = detail.path("reason").asText("");
            if (reason.startsWith("API_KEY_") || reason.equals("SERVICE_DISABLED")) {
                return true;
            }
        }
        return false;
    }

    /** A quota that waiting a minute will not refill: per day (or longer), of limit 0, or a billing reason. */
    private static boolean outOfQuota(JsonNode error) {
        if (error == null) {
            return false;
        }
        for (JsonNode detail : error.path("details")) {
            if (detail.path("reason").asText("").contains("BILLING")) {
                return true;
            }
            for (JsonNode violation : detail.path("violations")) {
                // A violation naming no quota says nothing either way: taken as a passing limit.
                String quota = violation.path("quotaId").asText("");
                boolean passing = quota.isEmpty() || quota.contains("PerMinute") || quota.contains("PerSecond");
                if (!passing || "0".equals(violation.path("quotaValue").asText())) {
                    return true;
                }
            }
        }
        return false;
    }

    /** {@code RetryInfo.retryDelay}, a protobuf Duration in JSON ("13s", "0.5s"), or null. */
    private static Duration retryDelay(JsonNode error) {
        if (error == null) {
            return null;
        }
        for (JsonNode detail : error.path("details")) {
            String delay = detail.path("retryDelay").asText("");
            if (delay.matches("\\d{1,9}(\\.\\d{1,9})?s")) {
                Duration wait = Duration.ofNanos(new BigDecimal(delay.substring(0, delay.length() - 1))
                        .movePointRight(9).longValueExact());
                return wait.isZero() ? null : wait;
            }
        }
        return null;
    }

    /** An error sent as an event of a stream that had started well. */
    ProviderException forStreamError(JsonNode error) {
        int code = error.path("code").asInt(0);
        if (code >= 400) {
            return forStatus(code, error.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8));
        }
        return new ProviderException(Kind.UPSTREAM_ERROR, "upstream failed mid-stream", null);
    }

    ProviderException malformed(Throwable cause) {
        return new ProviderException(Kind.UPSTREAM_ERROR, "upstream sent malformed JSON", cause);
    }

    /** Google's {@code error} object, or null if the body is not one. */
    private JsonNode error(byte[] body) {
        try {
            JsonNode document = body == null ? null : mapper.readTree(body);
            if (document != null && document.isArray() && !document.isEmpty()) {
                document = document.get(0); // a failed stream's error comes as a one-element array
            }
            JsonNode error = document == null ? null : document.get("error");
            return error != null && error.isObject() ? error : document != null && document.has("code") ? document : null;
        } catch (IOException e) {
            return null;
        }
    }
}
