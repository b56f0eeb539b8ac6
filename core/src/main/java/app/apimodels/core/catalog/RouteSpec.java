package app.apimodels.core.catalog;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/** Where a public model is served: lower priority first; among equals, by weight. */
public record RouteSpec(String provider, String upstreamModel, int priority, int weight) {

    static final Set<String> FIELDS = Set.of("provider", "upstream-model", "priority", "weight");

    static RouteSpec parse(Tree t) {
        Map<String, Tree> m = t.map(FIELDS);
        return new RouteSpec(Catalogs.required(t, m, "provider").text(), Catalogs.required(t, m, "upstream-model").text(),
                m.containsKey("priority") ? (int) m.get("priority").whole(0, 1_000_000) : 1,
                m.containsKey("weight") ? (int) m.get("weight").whole(1, 1_000_000) : 1);
    }

    Map<String, Object> toDoc() {
        Map<String, Object> doc = new LinkedHashMap<>();
        doc.put("provider", provider);
        doc.put("upstream-model", upstreamModel);
        doc.put("priority", priority);
        doc.put("weight", weight);
        return doc;
    }
}
