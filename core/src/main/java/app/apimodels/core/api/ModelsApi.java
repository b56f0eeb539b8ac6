package app.apimodels.core.api;

import app.apimodels.core.catalog.Catalog;
import app.apimodels.core.web.ApiException;
import app.apimodels.core.web.Request;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Supplier;

/** {@code GET /v1/models}: the models this key may use, in OpenAI's list shape. */
public final class ModelsApi {

    private final Supplier<Catalog> catalog;

    public ModelsApi(Supplier<Catalog> catalog) {
        this.catalog = catalog;
    }

    public void list(Request r) {
        var key = r.caller().key();
        r.json(200, Map.of("object", "list", "data", catalog.get().models().stream()
                .filter(m -> key.allows(m.id())).map(ModelsApi::view).toList()));
    }

    public void get(Request r) {
        String id = r.param("id");
        Catalog.Model m = catalog.get().model(id).filter(x -> r.caller().key().allows(x.id()))
                .orElseThrow(() -> new ApiException(404, "model_not_found", "The model '" + id + "' does not exist", "model", null));
        r.json(200, view(m));
    }

    private static Map<String, Object> view(Catalog.Model m) {
        Map<String, Object> v = new LinkedHashMap<>();
        v.put("id", m.id());
        v.put("object", "model");
        v.put("created", 0);
        v.put("owned_by", "apimodels");
        v.put("kind", m.spec().kind().wireName());
        return v;
    }
}
