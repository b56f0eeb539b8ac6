package app.apimodels.console;

import app.apimodels.core.catalog.Catalog;
import app.apimodels.core.catalog.ModelKind;
import app.apimodels.core.web.Router.Access;

import java.util.HashMap;
import java.util.Map;

/**
 * The quick start ({@code /console/quickstart}): a first call with curl, Python and Node, filled in
 * with this service's base URL and a chat model it offers (and an image model, when there is one).
 */
final class QuickStartPage implements Section {

    @Override
    public void install(Console console) {
        console.nav(Nav.Area.PEOPLE, "nav.quickstart", "/console/quickstart")
                .route("GET", "/console/quickstart", Access.ACCOUNT, r -> {
                    Catalog catalog = console.services().catalog().catalog();
                    Map<String, Object> model = new HashMap<>();
                    model.put("base", console.services().site().base(r.exchange()));
                    model.put("chat", first(catalog, ModelKind.CHAT, "your-chat-model"));
                    model.put("image", first(catalog, ModelKind.IMAGE, null));
                    console.render(r, 200, "quickstart.jte", "quickstart.title", model);
                });
    }

    private static String first(Catalog catalog, ModelKind kind, String fallback) {
        return catalog.models().stream().filter(m -> m.spec().kind() == kind).map(Catalog.Model::id).sorted().findFirst().orElse(fallback);
    }
}
