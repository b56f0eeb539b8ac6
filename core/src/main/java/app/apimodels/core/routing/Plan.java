package app.apimodels.core.routing;

import app.apimodels.core.catalog.Catalog;
import app.apimodels.core.failure.Failure;
import app.apimodels.spi.provider.ProviderException;

import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The routes one call may try, in order, and where it stands. {@link #first} starts; after a
 * failure before anything reached the client, {@link #next} says where to go: another key of the
 * same route when the key was refused or rate limited, else the next route whose breaker lets the
 * call through and which has a usable key — or nowhere. Not thread-safe: one call's steps follow
 * each other.
 */
public final class Plan {

    private final Routing routing;
    private final Catalog.Model model;
    private final List<Catalog.Target> order;
    private int index = -1;
    /** Keys already tried on the current route. */
    private final Set<String> tried = new HashSet<>();

    Plan(Routing routing, Catalog.Model model, List<Catalog.Target> order) {
        this.routing = routing;
        this.model = model;
        this.order = order;
    }

    public Catalog.Model model() {
        return model;
    }

    /** The failure to answer when {@link #first} finds no route after all. */
    public static Failure unavailable() {
        return new Failure(Failure.Reason.UNAVAILABLE, "every upstream for this model is failing; retry shortly", null,
                java.time.Duration.ofSeconds(1));
    }

    /** The first attempt, or null if every route stopped taking calls since the plan was made. */
    public Attempt first() {
        return nextRoute();
    }

    /**
     * Where to go after {@code failed} ended with {@code pe} (report it with {@link Attempt#failed} first),
     * or null: the failure is the client's, or no route is left.
     */
    public Attempt next(Attempt failed, ProviderException pe) {
        if (!pe.kind().retryable()) {
            return null;
        }
        if (pe.keyRefused() || pe.kind() == ProviderException.Kind.RATE_LIMITED) {
            Attempt sameRoute = routing.attempt(this, failed.target(), tried);
            if (sameRoute != null) {
                tried.add(sameRoute.key().id());
                return sameRoute;
            }
        }
        return nextRoute();
    }

    private Attempt nextRoute() {
        while (++index < order.size()) {
            tried.clear();
            Attempt a = routing.attempt(this, order.get(index), tried);
            if (a != null) {
                tried.add(a.key().id());
                return a;
            }
        }
        return null;
    }
}
