package app.apimodels.spi.http;

import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * A fully buffered HTTP response.
 *
 * @param headers response headers with lower-case names (first value of each)
 */
public record HttpResponseData(int status, Map<String, String> headers, byte[] body) {
    public HttpResponseData {
        headers = headers == null ? Map.of() : Map.copyOf(headers);
        body = body == null ? new byte[0] : body;
    }

    public String header(String lowerCaseName) {
        return headers.get(lowerCaseName);
    }

    public String bodyText() {
        return new String(body, StandardCharsets.UTF_8);
    }
}
