package app.apimodels.spi.web;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;

/**
 * Query-string parsing for {@link Exchange#query} implementations, so every adapter (and the test
 * doubles) reads parameters the same way a servlet container does.
 */
public final class QueryStrings {

    private QueryStrings() {
    }

    /**
     * The parameters of a query string as sent (percent-encoded): first value wins, {@code +} is a
     * space, a pair with an undecodable escape is skipped (as containers do); empty for null or "".
     */
    public static Map<String, String> parse(String raw) {
        Map<String, String> parameters = new HashMap<>();
        if (raw == null || raw.isEmpty()) {
            return parameters;
        }
        for (String pair : raw.split("&")) {
            int eq = pair.indexOf('=');
            String name = eq < 0 ? pair : pair.substring(0, eq);
            String value = eq < 0 ? "" : pair.substring(eq + 1);
            try {
                parameters.putIfAbsent(URLDecoder.decode(name, StandardCharsets.UTF_8),
                        URLDecoder.decode(value, StandardCharsets.UTF_8));
            } catch (IllegalArgumentException malformedEscape) {
                // skipped
            }
        }
        return parameters;
    }
}
