package app.apimodels.provider.fal;

import app.apimodels.spi.http.HttpResponseData;
import app.apimodels.spi.provider.ProviderException;
import app.apimodels.spi.provider.Redactor;
import app.apimodels.spi.provider.ProviderException.Kind;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * Turns fal's failures into {@link ProviderException}s and task errors whose messages are safe to
 * show a client. fal answers errors as {@code {"detail": "…"}} (request errors, with
 * {@code error_type}) or {@code {"detail": [{"loc", "msg", "type"}]}} (a model refusing its
 * input). Only the client's own mistakes and a model's failure carry fal's words, scrubbed of
 * anything that looks like a secret; everything else gets a fixed message.
 */
final class FalErrors {

    private static final int MAX_DETAILS = 3;

    private final ObjectMapper mapper;
    private final Redactor redactor;

    FalErrors(ObjectMapper mapper, String apiKey) {
        this.mapper = mapper;
        this.redactor = new Redactor(apiKey);
    }

    /**
     * An HTTP answer outside 2xx, with the wait its {@code Retry-After} asks for (fal sends one
     * with a 429 or 503), so routing rests the key that long.
     */
    ProviderException forStatus(HttpResponseData response) {
        return classify(response).withRetryAfter(response.headers());
    }

    private ProviderException classify(HttpResponseData response) {
        int status = response.status();
        switch (status) {
            case 401, 402, 403:
                // fal also answers 403 for an account out of balance.
                return new ProviderException(Kind.UPSTREAM_CONFIG, status, "upstream rejected the gateway's credentials or account (HTTP " + status + ")", null, null);
            case 404:
                // The model is the catalog's, not the client's: a route to fix.
                return new ProviderException(Kind.UPSTREAM_CONFIG, status, "upstream model or request not found (HTTP 404)", null, null);
            case 408:
                return new ProviderException(Kind.TIMEOUT, status, "upstream timed out (HTTP 408)", null, null);
            case 429:
                return new ProviderException(Kind.RATE_LIMITED, status, "upstream rate limit reached (HTTP 429)", null, null);
            default:
                break;
        }
        if (status >= 500) {
            return new ProviderException(Kind.UPSTREAM_ERROR, status, "upstream failed (HTTP " + status + ")", null, null);
        }
        if (status >= 400) {
            JsonNode detail = detail(response.body());
            String message = describe(detail);
            return new ProviderException(Kind.INVALID_REQUEST, status,
                    message == null ? "upstream rejected the request (HTTP " + status + ")" : message, firstField(detail), null);
        }
        return new ProviderException(Kind.UPSTREAM_ERROR, status, "unexpected upstream answer (HTTP " + status + ")", null, null);
    }

    /** The {@code detail} of an error document, or null if it has none. */
    JsonNode detail(byte[] body) {
        try {
            JsonNode document = mapper.readTree(body);
            JsonNode detail = document == null ? null : document.get("detail");
            return detail != null && (detail.isTextual() || detail.isArray()) ? detail : null;
        } catch (IOException e) {
            return null; // not JSON: nothing of it is shown
        }
    }

    /** A {@code detail} as one safe line: the text, or up to three {@code field: message} entries; null if empty. */
    String describe(JsonNode detail) {
        if (detail == null) {
            return null;
        }
        if (detail.isTextual()) {
            return scrub(detail.asText());
        }
        if (!detail.isArray()) {
            return null;
        }
        List<String> entries = new ArrayList<>();
        for (JsonNode error : detail) {
            if (entries.size() == MAX_DETAILS) {
                break;
            }
            String message = error.path("msg").asText("");
            String field = field(error.get("loc"));
            if (!message.isBlank()) {
                entries.add(field == null ? message : field + ": " + message);
            }
        }
        return scrub(String.join("; ", entries));
    }

    /** An answer that is not the JSON fal promised. */
    ProviderException malformed(Throwable cause) {
        return new ProviderException(Kind.UPSTREAM_ERROR, "upstream sent a malformed answer", cause);
    }

    /** A failure below HTTP, from the transport. */
    ProviderException forTransport(Throwable failure) {
        return ProviderException.fromTransport(failure);
    }

    /** Text from fal made safe to show: no key or token-like strings, bounded length; null if blank. */
    String scrub(String text) {
        return redactor.scrub(text);
    }

    /** The input field the first entry of a detail list is about. */
    private String firstField(JsonNode detail) {
        return detail != null && detail.isArray() && !detail.isEmpty() ? field(detail.get(0).get("loc")) : null;
    }

    /** A {@code loc} without its leading {@code body}: {@code ["body", "image_size", "width"]} → {@code image_size.width}. */
    private String field(JsonNode loc) {
        if (loc == null || !loc.isArray()) {
            return null;
        }
        List<String> path = new ArrayList<>();
        loc.forEach(element -> path.add(element.asText()));
        if (!path.isEmpty() && path.get(0).equals("body")) {
            path.remove(0);
        }
        return path.isEmpty() ? null : scrub(String.join(".", path));
    }
}
