package app.apimodels.spi.http;

import java.net.URI;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;

/**
 * One outbound HTTP request, independent of the client library that sends it.
 *
 * @param method          HTTP method, upper case
 * @param uri             absolute http(s) URI
 * @param headers         request headers (single-valued is enough for upstream APIs)
 * @param body            request body, may be empty, never null
 * @param timeout         whole-exchange limit for buffered calls; for streams, the limit until
 *                        the response head arrives (a stream may then run as long as it keeps
 *                        producing data, bounded by {@code idleTimeout})
 * @param idleTimeout     longest silence tolerated on a streaming body
 */
public record HttpRequestSpec(String method, URI uri, Map<String, String> headers, byte[] body,
                              Duration timeout, Duration idleTimeout) {
    public HttpRequestSpec {
        Objects.requireNonNull(method, "method");
        Objects.requireNonNull(uri, "uri");
        headers = headers == null ? Map.of() : Map.copyOf(headers);
        body = body == null ? new byte[0] : body;
        timeout = timeout == null ? Duration.ofSeconds(600) : timeout;
        idleTimeout = idleTimeout == null ? timeout : idleTimeout;
    }

    public static HttpRequestSpec postJson(URI uri, Map<String, String> headers, byte[] json, Duration timeout) {
        var h = new java.util.HashMap<>(headers);
        h.putIfAbsent("Content-Type", "application/json");
        return new HttpRequestSpec("POST", uri, h, json, timeout, timeout);
    }

    public static HttpRequestSpec get(URI uri, Map<String, String> headers, Duration timeout) {
        return new HttpRequestSpec("GET", uri, headers, null, timeout, timeout);
    }
}
