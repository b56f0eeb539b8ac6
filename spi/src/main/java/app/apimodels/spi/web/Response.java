package app.apimodels.spi.web;

import java.nio.charset.StandardCharsets;
import java.util.Map;

/** A complete HTTP response. */
public record Response(int status, String contentType, byte[] body, Map<String, String> headers) {
    public Response {
        headers = headers == null ? Map.of() : Map.copyOf(headers);
        body = body == null ? new byte[0] : body;
    }

    public Response(int status, String contentType, byte[] body) {
        this(status, contentType, body, Map.of());
    }

    public static Response text(int status, String contentType, String body) {
        return new Response(status, contentType, body.getBytes(StandardCharsets.UTF_8));
    }

    public Response withHeader(String name, String value) {
        var h = new java.util.LinkedHashMap<>(headers);
        h.put(name, value);
        return new Response(status, contentType, body, h);
    }
}
