package app.apimodels.core.catalog;

import app.apimodels.spi.provider.ProviderClient;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/** An immutable snapshot of the catalog with a ready client for every provider instance. */
public final class Catalog {

    /**
     * One way to serve a model: a provider instance, the upstream's model name, and a client for
     * each key of the provider's pool (the same objects for every route of the provider).
     */
    public record Target(ProviderSpec provider, RouteSpec route, List<Key> keys) {
        public Target {
            keys = List.copyOf(keys);
            if (keys.isEmpty()) {
                throw new IllegalArgumentException("a route needs at least one client");
            }
        }

        /** The client of the pool's first key (for what is not spread: polling a task, a webhook). */
        public ProviderClient client() {
            return keys.get(0).client();
        }

        /** The route's name in reports: {@code model/provider/upstream-model}. */
        public String name(String model) {
            return model + "/" + provider.id() + "/" + route.upstreamModel();
        }
    }

    /**
     * One upstream key of a provider and the client that calls with it.
     *
     * @param id    a fingerprint of the provider and the secret, stable while neither changes (state is kept by it)
     * @param label what may be shown of the secret: its last four characters
     */
    public record Key(String id, String label, ProviderClient client) {
        @Override
        public String toString() {
            return "Key[" + label + "]";
        }
    }

    /** A servable model. */
    public record Model(ModelSpec spec, List<Target> targets) {
        public String id() {
            return spec.id();
        }

        public int markupBasisPoints() {
            return spec.markupBasisPoints() == null ? 0 : spec.markupBasisPoints();
        }
    }

    private final Map<String, Model> models;
    private final Map<String, ProviderSpec> providers;

    Catalog(Map<String, Model> models, Map<String, ProviderSpec> providers) {
        this.models = Map.copyOf(models);
        this.providers = Map.copyOf(providers);
    }

    public Optional<Model> model(String id) {
        return Optional.ofNullable(models.get(id));
    }

    /** All models, sorted by id. */
    public List<Model> models() {
        return new TreeMap<>(models).values().stream().toList();
    }

    public List<ProviderSpec> providers() {
        return new TreeMap<>(providers).values().stream().toList();
    }
}
