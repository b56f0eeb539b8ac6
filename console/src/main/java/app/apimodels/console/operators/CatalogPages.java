package app.apimodels.console.operators;

import app.apimodels.console.Feedback;
import app.apimodels.core.catalog.Catalog;
import app.apimodels.core.catalog.CatalogService;
import app.apimodels.core.catalog.Price;
import app.apimodels.core.failure.Failure;
import app.apimodels.core.routing.Routing;
import app.apimodels.core.web.Form;
import app.apimodels.core.web.Request;
import app.apimodels.core.web.Text;

import java.math.BigDecimal;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The catalog: providers (their secrets never shown), models with their routes and prices, each
 * route's health on this node (breaker, error rate, latency), and a
 * model's price edited in a form — checked by the same validation as the catalog API, with a bad
 * value's message beside its field; a saved price is what the next call costs.
 */
final class CatalogPages extends OperatorSection {

    static final String LIST = "/console/admin/catalog";
    /** The price fields of a model, as the catalog file names them (credits per unit). */
    static final List<String> PRICE_FIELDS = Price.FIELDS;

    @Override
    void routes() {
        page("nav.ops.catalog", LIST);
        get(LIST, this::list);
        get(LIST + "/models/{id}", r -> edit(r, 200, null));
        post(LIST + "/models/{id}/price", this::savePrice);
    }

    private void list(Request r) {
        Catalog c = services.catalog().catalog();
        List<Map<String, Object>> models = c.models().stream().map(m -> CatalogService.doc(m.spec())).toList();
        console.render(r, 200, "operators/catalog.jte", "ops.catalog.title", model(r,
                "providers", c.providers().stream().map(p -> Map.of("id", p.id(), "type", String.valueOf(CatalogService.doc(p).get("type")),
                        "base", String.valueOf(CatalogService.doc(p).getOrDefault("base-url", "")))).toList(),
                "models", models, "health", services.routing().statuses(), "window", Routing.WINDOW.toSeconds()));
    }

    /** The model's price form; {@code form}: a refused one shown again, else the price in force. */
    private void edit(Request r, int status, Feedback form) {
        String id = Text.checked("id", r.param("id"), 200);
        Map<String, Object> doc = modelDoc(id);
        if (form == null) {
            Map<String, String> values = new LinkedHashMap<>();
            Map<?, ?> price = doc.get("price") instanceof Map<?, ?> p ? p : Map.of();
            PRICE_FIELDS.forEach(f -> values.put(f, price.get(f) == null ? "" : price.get(f).toString()));
            form = new Feedback(values, null, null);
        }
        console.render(r, status, "operators/model.jte", "ops.model.title", model(r, "id", id, "doc", doc, "fields", PRICE_FIELDS,
                "form", form));
    }

    private Map<String, Object> modelDoc(String id) {
        return services.catalog().catalog().model(id).map(m -> CatalogService.doc(m.spec()))
                .orElseThrow(() -> Failure.notFound("model"));
    }

    private void savePrice(Request r) {
        String id = Text.checked("id", r.param("id"), 200);
        Form f = console.form(r);
        change(r, typed(f, PRICE_FIELDS.toArray(String[]::new)), () -> {
            Map<String, Object> price = new LinkedHashMap<>();
            for (String field : PRICE_FIELDS) {
                String v = field(f, field, 40);
                if (v != null && !v.isBlank()) {
                    try {
                        price.put(field, new BigDecimal(v.strip()));
                    } catch (NumberFormatException e) {
                        throw Failure.invalid(field, field + " must be a number of credits (e.g. 0.5)");
                    }
                }
            }
            Map<String, Object> doc = new LinkedHashMap<>(modelDoc(id));
            doc.put("price", price);
            try {
                services.catalog().putModel(id, doc);
            } catch (Failure e) {
                // The catalog's validation names the entry's path in its message ("…price.per-image must not be negative"):
                // the refusal goes beside the field it names.
                String at = e.param() != null ? e.param()
                        : PRICE_FIELDS.stream().sorted(Comparator.comparingInt(String::length).reversed()).filter(p -> e.getMessage() != null && e.getMessage().contains(p)).findFirst().orElse(null);
                throw at == null || at.equals(e.param()) ? e : Failure.invalid(at, e.getMessage());
            }
        }, LIST + "/models/" + java.net.URLEncoder.encode(id, java.nio.charset.StandardCharsets.UTF_8) + "?done=price",
                (status, form) -> edit(r, status, form));
    }
}
