package app.apimodels.core.routing;

import app.apimodels.core.catalog.Catalog;
import app.apimodels.core.catalog.ModelAccess;
import app.apimodels.core.failure.Failure;
import app.apimodels.spi.provider.ProviderException;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;
import java.util.function.Supplier;

/**
 * Which route, and which upstream key, a call goes to; and what each route's recent calls say
 * about it. The relay's endpoints and task submission all ask here ({@link #plan}), report each
 * attempt's outcome on its {@link Attempt}, and move to the next route only when the plan says so.
 *
 * <p>Everything here is this node's, in memory, and starts afresh with the process: a breaker, a
 * rate-limit cool-down or a refused key is what this node saw, and every node decides on its own.
 * Nothing is shared through the database, so routing costs no round trip and a partition cannot
 * make one node's view wrong for another.
 */
public final class Routing {

    private static final System.Logger LOG = System.getLogger(Routing.class.getName());

    /** The span {@code /admin/routes} reports error rates and latencies over. */
    public static final Duration WINDOW = Duration.ofMinutes(5);
    /** How long a route rests after a 429 that named no {@code Retry-After}. */
    static final Duration RATE_LIMIT_REST = Duration.ofSeconds(1);
    /** The longest {@code Retry-After} honoured: an upstream cannot take a route out for a day. */
    static final Duration MAX_COOL_DOWN = Duration.ofMinutes(10);

    /** A route's circuit breaker state. */
    public enum Circuit { CLOSED, OPEN, HALF_OPEN }

    /**
     * @param breakerFailures  failures within {@link Breaker#SPAN_MILLIS}, and at least half of the route's
     *                         verdicts there, that open a route's breaker
     * @param breakerOpen      how long an open breaker waits before one probe
     * @param firstByteTimeout default wait for a stream's first content (zero: none)
     * @param keyRest          how long a refused key (401/403, quota) is left out before it is tried again
     */
    public record Policy(int breakerFailures, Duration breakerOpen, Duration firstByteTimeout, Duration keyRest) {
    }

    private final Supplier<Catalog> catalog;
    private final Clock clock;
    private final Policy policy;
    private final Map<String, RouteState> routes = new ConcurrentHashMap<>();
    private final Map<String, KeyState> keys = new ConcurrentHashMap<>();
    /** The next key to use, per provider: calls take the pool's keys in turn. */
    private final Map<String, AtomicInteger> turns = new ConcurrentHashMap<>();

    public Routing(Supplier<Catalog> catalog, Clock clock, Policy policy) {
        this.catalog = catalog;
        this.clock = clock;
        this.policy = policy;
    }

    /**
     * The routes to try for a call to {@code model}, in order (priority, then weighted at random).
     *
     * @throws Failure (503, or 429 when only rate limits stand in the way; with {@code Retry-After})
     *                 when no route can take a call now: nothing should be held or forwarded; 503 naming
     *                 the providers when none of the model's providers can be called on this node
     */
    public Plan plan(Catalog.Model model) {
        return plan(model, t -> true);
    }

    /** The same over the routes {@code serves} accepts (an endpoint only some providers speak). */
    public Plan plan(Catalog.Model model, Predicate<Catalog.Target> serves) {
        if (model.targets().isEmpty() && !model.unavailable().isEmpty()) {
            throw ModelAccess.unavailableHere(model);
        }
        long now = clock.millis();
        long freeAt = Long.MAX_VALUE;
        boolean onlyRateLimited = true;
        for (Catalog.Target t : model.targets()) {
            if (!serves.test(t)) {
                continue;
            }
            RouteState route = route(model, t);
            long breakerFree = route.breaker.freeAt(now);
            long keyFree = Long.MAX_VALUE;
            boolean keyCooling = false;
            for (Catalog.Key k : t.keys()) {
                long disabled = key(k).disabledUntil();
                long cooling = route.coolingUntil(k);
                long free = Math.max(now, Math.max(disabled, cooling));
                keyFree = Math.min(keyFree, free);
                keyCooling |= cooling > now && disabled <= now;
            }
            long free = Math.max(breakerFree, keyFree);
            if (free <= now) {
                return new Plan(this, model, attemptOrder(model).stream().filter(serves).toList());
            }
            onlyRateLimited &= breakerFree <= now && keyCooling;
            freeAt = Math.min(freeAt, free);
        }
        Duration wait = Duration.ofMillis(Math.max(1000, freeAt == Long.MAX_VALUE ? 1000 : freeAt - now));
        if (onlyRateLimited && !model.targets().isEmpty()) {
            throw new Failure(Failure.Reason.UPSTREAM_RATE_LIMITED,
                    "every upstream for this model is rate limited; retry shortly", null, wait);
        }
        throw new Failure(Failure.Reason.UNAVAILABLE, "every upstream for this model is failing; retry shortly", null, wait);
    }

    /**
     * The order to try a model's routes in: by priority, and within one priority a weighted
     * random order (so load spreads by weight while every route stays a fallback).
     */
    private static List<Catalog.Target> attemptOrder(Catalog.Model model) {
        List<Catalog.Target> targets = model.targets();
        if (targets.size() == 1) {
            return targets;
        }
        TreeMap<Integer, List<Catalog.Target>> byPriority = new TreeMap<>();
        for (Catalog.Target t : targets) {
            byPriority.computeIfAbsent(t.route().priority(), p -> new ArrayList<>()).add(t);
        }
        List<Catalog.Target> out = new ArrayList<>(targets.size());
        ThreadLocalRandom random = ThreadLocalRandom.current();
        for (List<Catalog.Target> group : byPriority.values()) {
            // Weighted shuffle (Efraimidis–Spirakis): key = u^(1/w), largest first.
            List<Map.Entry<Double, Catalog.Target>> keyed = new ArrayList<>();
            for (Catalog.Target t : group) {
                keyed.add(Map.entry(Math.pow(random.nextDouble(), 1.0 / t.route().weight()), t));
            }
            keyed.sort(Map.Entry.<Double, Catalog.Target>comparingByKey(Comparator.reverseOrder()));
            keyed.forEach(e -> out.add(e.getValue()));
        }
        return out;
    }

    /** An attempt on {@code target} with one of its usable keys not in {@code tried}, or null if none may go now. */
    Attempt attempt(Plan plan, Catalog.Target target, Set<String> tried) {
        long now = clock.millis();
        RouteState route = route(plan.model(), target);
        List<Catalog.Key> pool = target.keys();
        int start = Math.floorMod(turns.computeIfAbsent(target.provider().id(), p -> new AtomicInteger()).getAndIncrement(), pool.size());
        for (int i = 0; i < pool.size(); i++) {
            Catalog.Key k = pool.get((start + i) % pool.size());
            if (tried.contains(k.id()) || key(k).disabledUntil() > now || route.coolingUntil(k) > now) {
                continue;
            }
            Breaker.Pass pass = route.breaker.tryPass(now);
            return pass == Breaker.Pass.DENIED ? null : new Attempt(this, plan, target, k, route, pass, now);
        }
        return null;
    }

    /** What an attempt's failure says about its route and key. */
    void judge(Attempt a, ProviderException pe) {
        long now = clock.millis();
        RouteState route = a.route;
        if (pe.kind() == ProviderException.Kind.INVALID_REQUEST) {
            // The client's mistake says nothing about the route.
            route.breaker.unjudged(a.pass);
            return;
        }
        route.window.record(now, now - a.startedAt, true);
        if (pe.keyRefused()) {
            route.breaker.unjudged(a.pass);
            KeyState state = key(a.key);
            if (state.disable(now + policy.keyRest().toMillis(), "HTTP " + pe.upstreamStatus())) {
                LOG.log(System.Logger.Level.WARNING, "upstream key " + a.key.label() + " of provider '" + a.target.provider().id()
                        + "' refused (HTTP " + pe.upstreamStatus() + "); left out for " + policy.keyRest().toSeconds() + " s");
            }
            return;
        }
        pe.retryAfter().ifPresent(wait -> route.coolDown(a.key, now + cap(wait)));
        if (pe.kind() == ProviderException.Kind.RATE_LIMITED) {
            if (pe.retryAfter().isEmpty()) {
                route.coolDown(a.key, now + RATE_LIMIT_REST.toMillis());
            }
            route.breaker.unjudged(a.pass);
            return;
        }
        route.breaker.failure(now);
    }

    void succeeded(Attempt a, long latencyMillis) {
        long now = clock.millis();
        if (!a.answered()) {
            a.route.breaker.success(now);
        }
        a.route.window.record(now, latencyMillis, false);
        key(a.key).enable();
    }

    long now() {
        return clock.millis();
    }

    Policy policy() {
        return policy;
    }

    private static long cap(Duration wait) {
        return Math.min(wait.toMillis(), MAX_COOL_DOWN.toMillis());
    }

    private RouteState route(Catalog.Model model, Catalog.Target t) {
        return routes.computeIfAbsent(t.name(model.id()),
                n -> new RouteState(new Breaker(policy.breakerFailures(), policy.breakerOpen().toMillis()), new Window(WINDOW.toMillis())));
    }

    private KeyState key(Catalog.Key k) {
        return keys.computeIfAbsent(k.id(), id -> new KeyState());
    }

    // ---- the read-only view: /admin/routes, metrics ------------------------------------------

    /** Every route of the current catalog as this node sees it, in catalog order. */
    public List<RouteStatus> statuses() {
        long now = clock.millis();
        Catalog current = catalog.get();
        List<RouteStatus> out = new ArrayList<>();
        Set<String> live = new java.util.HashSet<>();
        Set<String> liveKeys = new java.util.HashSet<>();
        for (Catalog.Model m : current.models()) {
            for (Catalog.Target t : m.targets()) {
                live.add(t.name(m.id()));
                RouteState route = route(m, t);
                Breaker.Snapshot b = route.breaker.snapshot(now);
                Window.Stats stats = route.window.stats(now);
                List<KeyStatus> keyStatuses = new ArrayList<>();
                long coolDown = Long.MAX_VALUE;
                for (Catalog.Key k : t.keys()) {
                    liveKeys.add(k.id());
                    KeyState ks = key(k);
                    long cooling = route.coolingUntil(k);
                    long disabled = ks.disabledUntil();
                    coolDown = Math.min(coolDown, Math.max(now, Math.max(cooling, disabled)));
                    keyStatuses.add(disabled > now ? new KeyStatus(k.label(), KeyStatus.State.DISABLED, disabled, ks.reason())
                            : cooling > now ? new KeyStatus(k.label(), KeyStatus.State.COOLING, cooling, null)
                            : new KeyStatus(k.label(), KeyStatus.State.ACTIVE, null, null));
                }
                out.add(new RouteStatus(m.id(), t.provider().id(), t.route().upstreamModel(), t.route().priority(), t.route().weight(),
                        b.state(), b.consecutiveFailures(), b.openUntil() == 0 ? null : b.openUntil(),
                        coolDown > now ? coolDown : null, stats.calls(), stats.failures(), stats.errorRate(),
                        stats.p50Millis(), stats.p95Millis(), firstByteTimeout(t).toMillis(), timeout(t).toMillis(),
                        List.copyOf(keyStatuses)));
            }
        }
        // Routes and keys the catalog no longer has are forgotten here, off the calls' path.
        routes.keySet().retainAll(live);
        keys.keySet().retainAll(liveKeys);
        return out;
    }

    /** Upstream keys this node is leaving out because their upstream refused them. */
    public long disabledKeys() {
        long now = clock.millis();
        return keys.values().stream().filter(k -> k.disabledUntil() > now).count();
    }

    Duration firstByteTimeout(Catalog.Target t) {
        Long own = t.route().firstByteTimeoutSeconds();
        return own != null ? Duration.ofSeconds(own) : policy.firstByteTimeout();
    }

    static Duration timeout(Catalog.Target t) {
        Long own = t.route().timeoutSeconds();
        return Duration.ofSeconds(own != null ? own : t.provider().timeoutSeconds());
    }

    /**
     * One route as this node sees it.
     *
     * @param circuitOpenUntil when an open breaker lets its probe through (epoch ms), else null
     * @param coolDownUntil    when a rate-limited (or refused) route has a key to call with again, else null
     * @param errorRate        failed / calls over {@link #WINDOW}, null without calls
     */
    public record RouteStatus(String model, String provider, String upstreamModel, int priority, int weight, Circuit circuit,
                              int consecutiveFailures, Long circuitOpenUntil, Long coolDownUntil, int calls, int failures,
                              Double errorRate, Integer latencyP50Millis, Integer latencyP95Millis, long firstByteTimeoutMillis,
                              long timeoutMillis, List<KeyStatus> keys) {
    }

    /** One key of a route's provider: only its last four characters, never the secret. */
    public record KeyStatus(String key, State state, Long until, String reason) {
        public enum State { ACTIVE, COOLING, DISABLED }
    }

    /** A route's breaker, window and per-key rate-limit cool-downs. */
    static final class RouteState {
        final Breaker breaker;
        final Window window;
        private final Map<String, Long> coolingUntil = new ConcurrentHashMap<>();

        RouteState(Breaker breaker, Window window) {
            this.breaker = breaker;
            this.window = window;
        }

        long coolingUntil(Catalog.Key k) {
            return coolingUntil.getOrDefault(k.id(), 0L);
        }

        void coolDown(Catalog.Key k, long until) {
            coolingUntil.merge(k.id(), until, Math::max);
        }
    }

    /** A key left out after its upstream refused it, until a time. */
    static final class KeyState {
        private volatile long disabledUntil;
        private volatile String reason;

        long disabledUntil() {
            return disabledUntil;
        }

        String reason() {
            return reason;
        }

        /** True if it was not disabled already (so it is reported once). */
        synchronized boolean disable(long until, String why) {
            boolean first = reason == null;
            disabledUntil = Math.max(disabledUntil, until);
            reason = why;
            return first;
        }

        void enable() {
            if (reason != null) {
                reason = null;
            }
        }
    }
}
