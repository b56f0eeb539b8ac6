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

    /**
     * A stored provider this node cannot call: its type or transport is not on this node's
     * classpath, or a secret it names is not set here. Another node of the same database may have
     * it (a rolling upgrade, a WAR built without one integration), so the node starts and routes
     * around it instead of refusing the shared catalog.
     *
     * @param field  the catalog field at fault ({@code type}, {@code transport}, {@code api-key}, {@code options.x}), null if none is
     * @param reason what is missing, for operators (the log, {@code GET /admin/catalog}); never shown to a caller
     */
    public record Unavailable(String provider, String type, String field, String reason) {
    }

    /**
     * A servable model.
     *
     * @param targets     the routes this node can call
     * @param unavailable the providers of its other routes, which this node cannot call
     */
    public record Model(ModelSpec spec, List<Target> targets, List<Unavailable> unavailable) {
        public Model {
            targets = List.copyOf(targets);
            unavailable = List.copyOf(unavailable);
        }

        public Model(ModelSpec spec, List<Target> targets) {
            this(spec, targets, List.of());
        }

        public String id() {
            return spec.id();
        }

        public int markupBasisPoints() {
            return spec.markupBasisPoints() == null ? 0 : spec.markupBasisPoints();
        }
    }

    private final Map<String, Model> models;
    private final Map<String, ProviderSpec> providers;
    private final Map<String, Unavailable> unavailable;

    Catalog(Map<String, Model> models, Map<String, ProviderSpec> providers) {
        this(models, providers, Map.of());
    }

    Catalog(Map<String, Model> models, Map<String, ProviderSpec> providers, Map<String, Unavailable> unavailable) {
        this.models = Map.copyOf(models);
        this.providers = Map.copyOf(providers);
        this.unavailable = Map.copyOf(unavailable);
    }

    public Optional<Model> model(String id) {
        return Optional.ofNullable(models.get(id));
    }

    /** All models, sorted by id. */
    public List<Model> models() {
        return new TreeMap<>(models).values().stream().toList();
    }

    /** Every provider of the catalog, those this node cannot call included; sorted by id. */
    public List<ProviderSpec> providers() {
        return new TreeMap<>(providers).values().stream().toList();
    }

    /** Why this node cannot call the provider of that id, if it cannot. */
    public Optional<Unavailable> unavailable(String providerId) {
        return Optional.ofNullable(unavailable.get(providerId));
    }

    /** The providers this node cannot call, sorted by id. */
    public List<Unavailable> unavailable() {
        return new TreeMap<>(unavailable).values().stream().toList();
    }
}
