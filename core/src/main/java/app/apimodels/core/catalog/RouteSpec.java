package app.apimodels.core.catalog;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * Where a public model is served: lower priority first; among equals, by weight. The timeouts are
 * the route's own ({@code null}: the engine's first-byte default, the provider's {@code timeout-seconds}).
 *
 * @param firstByteTimeoutSeconds a stream with no content from the upstream by then goes to the next route
 * @param timeoutSeconds          the whole call; before any content reached the client it goes to the next route
 */
public record RouteSpec(String provider, String upstreamModel, int priority, int weight, Long firstByteTimeoutSeconds,
                        Long timeoutSeconds) {

    static final Set<String> FIELDS = Set.of("provider", "upstream-model", "priority", "weight", "first-byte-timeout-seconds",
            "timeout-seconds");

    static RouteSpec parse(Tree t) {
        Map<String, Tree> m = t.map(FIELDS);
        return new RouteSpec(Catalogs.required(t, m, "provider").text(), Catalogs.required(t, m, "upstream-model").text(),
                m.containsKey("priority") ? (int) m.get("priority").whole(0, 1_000_000) : 1,
                m.containsKey("weight") ? (int) m.get("weight").whole(1, 1_000_000) : 1,
                seconds(m, "first-byte-timeout-seconds"), seconds(m, "timeout-seconds"));
    }

    private static Long seconds(Map<String, Tree> m, String field) {
        return m.containsKey(field) && !m.get(field).isNull() ? m.get(field).whole(1, 86_400) : null;
    }

    Map<String, Object> toDoc() {
        Map<String, Object> doc = new LinkedHashMap<>();
        doc.put("provider", provider);
        doc.put("upstream-model", upstreamModel);
        doc.put("priority", priority);
        doc.put("weight", weight);
        if (firstByteTimeoutSeconds != null) {
            doc.put("first-byte-timeout-seconds", firstByteTimeoutSeconds);
        }
        if (timeoutSeconds != null) {
            doc.put("timeout-seconds", timeoutSeconds);
        }
        return doc;
    }
}
