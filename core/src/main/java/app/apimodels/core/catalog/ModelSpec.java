package app.apimodels.core.catalog;

import java.math.BigDecimal;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * A public model: its routes and price.
 *
 * @param maxOutputTokens the output cap used for the worst-case hold when a client sends no
 *                        {@code max_tokens}; null means the engine's default
 * @param markupBasisPoints the reseller's markup on this model in 1/100 of a percent, or null for none
 */
public record ModelSpec(String id, ModelKind kind, List<RouteSpec> routes, Price price, Long maxOutputTokens,
                        Integer markupBasisPoints) {

    static final Set<String> FIELDS = Set.of("id", "kind", "routes", "price", "max-output-tokens", "markup");

    static ModelSpec parse(Tree t) {
        Map<String, Tree> m = t.map(FIELDS);
        String id = Catalogs.id(t, m, "id");
        Tree kindNode = Catalogs.required(t, m, "kind");
        ModelKind kind;
        try {
            kind = ModelKind.valueOf(kindNode.text().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw kindNode.error("must be one of " + Arrays.stream(ModelKind.values()).map(ModelKind::wireName).toList());
        }
        List<Tree> routeNodes = Catalogs.required(t, m, "routes").list();
        if (routeNodes.isEmpty()) {
            throw m.get("routes").error("needs at least one route");
        }
        List<RouteSpec> routes = routeNodes.stream().map(RouteSpec::parse).toList();
        Price price = Price.parse(Catalogs.required(t, m, "price"));
        Long maxOut = m.containsKey("max-output-tokens") ? m.get("max-output-tokens").whole(1, 100_000_000) : null;
        Integer markup = m.containsKey("markup") ? Catalogs.markup(m.get("markup")) : null;
        return new ModelSpec(id, kind, routes, price, maxOut, markup);
    }

    Map<String, Object> toDoc() {
        Map<String, Object> doc = new LinkedHashMap<>();
        doc.put("id", id);
        doc.put("kind", kind.wireName());
        doc.put("routes", routes.stream().map(RouteSpec::toDoc).toList());
        doc.put("price", price.toDoc());
        if (maxOutputTokens != null) {
            doc.put("max-output-tokens", maxOutputTokens);
        }
        if (markupBasisPoints != null) {
            doc.put("markup", BigDecimal.valueOf(markupBasisPoints, 2));
        }
        return doc;
    }
}
