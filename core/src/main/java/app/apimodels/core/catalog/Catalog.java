package app.apimodels.core.catalog;

import app.apimodels.spi.provider.ProviderClient;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.ThreadLocalRandom;

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

    /**
     * The order to try a model's routes in: by priority, and within one priority a weighted
     * random order (so load spreads by weight while every route stays a fallback).
     */
    public static List<Target> attemptOrder(Model model) {
        List<Target> targets = model.targets();
        if (targets.size() == 1) {
            return targets;
        }
        TreeMap<Integer, List<Target>> byPriority = new TreeMap<>();
        for (Target t : targets) {
            byPriority.computeIfAbsent(t.route().priority(), p -> new ArrayList<>()).add(t);
        }
        List<Target> out = new ArrayList<>(targets.size());
        ThreadLocalRandom random = ThreadLocalRandom.current();
        for (List<Target> group : byPriority.values()) {
            // Weighted shuffle (Efraimidis–Spirakis): key = u^(1/w), largest first.
            List<Map.Entry<Double, Target>> keyed = new ArrayList<>();
            for (Target t : group) {
                keyed.add(Map.entry(Math.pow(random.nextDouble(), 1.0 / t.route().weight()), t));
            }
            keyed.sort(Map.Entry.<Double, Target>comparingByKey(Comparator.reverseOrder()));
            keyed.forEach(e -> out.add(e.getValue()));
        }
        return out;
    }
}
