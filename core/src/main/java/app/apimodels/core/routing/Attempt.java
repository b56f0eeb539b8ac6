package app.apimodels.core.routing;

import app.apimodels.core.catalog.Catalog;
import app.apimodels.core.deadlines.Deadlines;
import app.apimodels.spi.provider.ProviderClient;
import app.apimodels.spi.provider.ProviderException;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One try of one route with one key. It ends exactly once — {@link #succeeded}, {@link #failed} or
 * {@link #unjudged} — and only the first end counts, so a breaker's probe is always handed back.
 */
public final class Attempt {

    private final Routing routing;
    private final Plan plan;
    final Catalog.Target target;
    final Catalog.Key key;
    final Routing.RouteState route;
    final Breaker.Pass pass;
    final long startedAt;
    private volatile long firstByteAt;
    private final AtomicBoolean ended = new AtomicBoolean();

    Attempt(Routing routing, Plan plan, Catalog.Target target, Catalog.Key key, Routing.RouteState route, Breaker.Pass pass,
            long startedAt) {
        this.routing = routing;
        this.plan = plan;
        this.target = target;
        this.key = key;
        this.route = route;
        this.pass = pass;
        this.startedAt = startedAt;
    }

    public Catalog.Target target() {
        return target;
    }

    /** The key this attempt calls with (its client). */
    public Catalog.Key key() {
        return key;
    }

    public ProviderClient client() {
        return key.client();
    }

    /** How long a stream may wait for its first content before this route is given up (zero: no limit). */
    public Duration firstByteTimeout() {
        return routing.firstByteTimeout(target);
    }

    /** How long the whole call may take on this route. */
    public Duration timeout() {
        return Routing.timeout(target);
    }

    /**
     * {@code answer}, or a {@link ProviderException.Kind#TIMEOUT} failure once {@link #timeout()} has
     * passed (the upstream's future is then cancelled). The deadline is one of {@code deadlines}, not
     * a timer task: every call has one and almost none expire.
     */
    public <T> CompletableFuture<T> within(CompletableFuture<T> answer, Deadlines deadlines) {
        CompletableFuture<T> bounded = new CompletableFuture<>();
        Deadlines.Deadline deadline = deadlines.start(timeout(), () -> {
            answer.cancel(true); // the upstream is stopped before the call moves on
            bounded.completeExceptionally(new ProviderException(ProviderException.Kind.TIMEOUT, 0,
                    "the upstream did not answer within the route's timeout", null, null));
        });
        answer.whenComplete((value, err) -> {
            if (!deadline.cancel()) {
                return; // the deadline answers
            }
            if (err != null) {
                bounded.completeExceptionally(err);
            } else {
                bounded.complete(value);
            }
        });
        return bounded;
    }

    /**
     * The first content of a stream arrived: latency is measured to here, and the route has
     * answered, so its breaker counts the success now rather than when the stream ends (a
     * half-open breaker's probe closes it). Counted at the end, a probe that streams for twenty
     * seconds kept every other call off the route (503) for all that time, and while thousands of
     * streams open nothing but their failures would have been counted. A failure later in the
     * stream still counts against the route.
     */
    public void firstByte() {
        if (firstByteAt == 0) {
            firstByteAt = routing.now();
            route.breaker.success(firstByteAt);
        }
    }

    /** Whether a stream's first content arrived (its breaker has counted the route's success). */
    boolean answered() {
        return firstByteAt != 0;
    }

    /** The route answered (a whole answer, or a stream to its end). */
    public void succeeded() {
        if (ended.compareAndSet(false, true)) {
            long end = firstByteAt != 0 ? firstByteAt : routing.now();
            routing.succeeded(this, end - startedAt);
        }
    }

    /** The route failed; the plan's {@link Plan#next} says whether another may be tried. */
    public void failed(ProviderException pe) {
        if (ended.compareAndSet(false, true)) {
            routing.judge(this, pe);
        }
    }

    /** Ended without a verdict on the route: the client left, the engine stopped, the hold was refused. */
    public void unjudged() {
        if (ended.compareAndSet(false, true)) {
            route.breaker.unjudged(pass);
        }
    }

    /** The plan this attempt belongs to. */
    public Plan plan() {
        return plan;
    }
}
