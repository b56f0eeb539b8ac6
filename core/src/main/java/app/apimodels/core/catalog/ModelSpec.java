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
 * @param parameters      for generation models (image, video, audio, speech): the parameters
 *                        accepted, as declared or the kind's defaults; empty for other kinds
 * @param timeoutSeconds  for generation models: how long a task may take before it fails
 *                        (uncharged), or null for the engine's default
 * @param maxOutputTokens the output cap used for the worst-case hold when a client sends no
 *                        {@code max_tokens}; null means the engine's default
 * @param markupBasisPoints the reseller's markup on this model in 1/100 of a percent, or null for none
 */
public record ModelSpec(String id, ModelKind kind, List<RouteSpec> routes, Price price, Long maxOutputTokens,
                        Integer markupBasisPoints, Map<String, ParameterSpec> parameters, Long timeoutSeconds,
                        boolean declaredParameters) {

    static final Set<String> FIELDS = Set.of("id", "kind", "routes", "price", "max-output-tokens", "markup",
            "parameters", "timeout-seconds");

    public ModelSpec(String id, ModelKind kind, List<RouteSpec> routes, Price price, Long maxOutputTokens,
                     Integer markupBasisPoints) {
        this(id, kind, routes, price, maxOutputTokens, markupBasisPoints, ParameterSpec.defaults(kind), null, false);
    }

    /** Whether the model runs as a generation task (image, video, audio, speech). */
    public boolean generates() {
        return kind == ModelKind.IMAGE || kind == ModelKind.VIDEO || kind == ModelKind.AUDIO || kind == ModelKind.SPEECH;
    }

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
        Map<String, ParameterSpec> params = ParameterSpec.defaults(kind);
        boolean declared = m.containsKey("parameters") && !m.get("parameters").isNull();
        if (declared) {
            params = new LinkedHashMap<>();
            for (Map.Entry<String, Tree> e : m.get("parameters").map().entrySet()) {
                params.put(e.getKey(), ParameterSpec.parse(e.getKey(), e.getValue()));
            }
        }
        Long timeout = m.containsKey("timeout-seconds") ? m.get("timeout-seconds").whole(1, 7 * 86_400) : null;
        ModelSpec spec = new ModelSpec(id, kind, routes, price, maxOut, markup,
                java.util.Collections.unmodifiableMap(new LinkedHashMap<>(params)), timeout, declared);
        if (spec.generates()) {
            checkCounted(spec, price.perImage() > 0, ParameterSpec.Counts.IMAGES, "per-image", m.get("price"));
            checkCounted(spec, price.perSecond() > 0, ParameterSpec.Counts.SECONDS, "per-second", m.get("price"));
            checkCounted(spec, price.per1kCharacters() > 0, ParameterSpec.Counts.CHARACTERS, "per-1k-characters", m.get("price"));
        }
        return spec;
    }

    private static void checkCounted(ModelSpec spec, boolean priced, ParameterSpec.Counts unit, String field, Tree price) {
        if (priced && spec.parameters().values().stream().noneMatch(p -> p.counts() == unit)) {
            throw price.error("a " + field + " price needs a parameter with counts: " + unit.name().toLowerCase(Locale.ROOT)
                    + " (it sets the quantity charged)");
        }
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
        if (declaredParameters) {
            Map<String, Object> params = new LinkedHashMap<>();
            parameters.forEach((name, p) -> params.put(name, p.toDoc()));
            doc.put("parameters", params);
        }
        if (timeoutSeconds != null) {
            doc.put("timeout-seconds", timeoutSeconds);
        }
        return doc;
    }
}
