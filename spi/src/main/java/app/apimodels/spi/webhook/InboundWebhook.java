package app.apimodels.spi.webhook;

import java.net.URI;
import java.util.Map;
import java.util.TreeMap;

/**
 * A webhook as it arrived, before anything trusts it: the exact bytes (signatures are computed
 * over them), the headers and the URL it was posted to.
 *
 * @param headers header names are matched case-insensitively by {@link #header}
 */
public record InboundWebhook(URI url, Map<String, String> headers, byte[] body) {
    public InboundWebhook {
        TreeMap<String, String> h = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
        h.putAll(headers);
        headers = java.util.Collections.unmodifiableMap(h);
    }

    /** A header's value, or null. */
    public String header(String name) {
        return headers.get(name);
    }
}
