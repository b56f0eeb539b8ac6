package app.apimodels.core.catalog;

import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** Providers and models as written, before any client is built. */
public record CatalogDocument(List<ProviderSpec> providers, List<ModelSpec> models) {

    private static final Set<String> FIELDS = Set.of("providers", "models");

    /** Parses a catalog file; errors name the file, line and field. */
    public static CatalogDocument parseYaml(String text, String source) {
        Map<String, Tree> m = Tree.parseYaml(text, source).map(FIELDS);
        List<Tree> providerNodes = listOrEmpty(m.get("providers"));
        List<Tree> modelNodes = listOrEmpty(m.get("models"));
        List<ProviderSpec> providers = providerNodes.stream().map(ProviderSpec::parse).toList();
        List<ModelSpec> models = modelNodes.stream().map(ModelSpec::parse).toList();
        Set<String> providerIds = new HashSet<>();
        for (int i = 0; i < providers.size(); i++) {
            if (!providerIds.add(providers.get(i).id())) {
                throw providerNodes.get(i).map().get("id").error("duplicate provider id");
            }
        }
        Set<String> modelIds = new HashSet<>();
        for (int i = 0; i < models.size(); i++) {
            Map<String, Tree> modelNode = modelNodes.get(i).map();
            if (!modelIds.add(models.get(i).id())) {
                throw modelNode.get("id").error("duplicate model id");
            }
            List<RouteSpec> routes = models.get(i).routes();
            for (int r = 0; r < routes.size(); r++) {
                if (!providerIds.contains(routes.get(r).provider())) {
                    throw modelNode.get("routes").list().get(r).map().get("provider")
                            .error("no provider with id '" + routes.get(r).provider() + "' in this file");
                }
            }
        }
        return new CatalogDocument(providers, models);
    }

    private static List<Tree> listOrEmpty(Tree t) {
        return t == null || t.isNull() ? List.of() : t.list();
    }

    /** An admin API body for one provider. */
    public static ProviderSpec provider(Map<String, Object> body, String source) {
        return ProviderSpec.parse(Tree.of(body, source, ""));
    }

    /** An admin API body for one model. */
    public static ModelSpec model(Map<String, Object> body, String source) {
        return ModelSpec.parse(Tree.of(body, source, ""));
    }
}
