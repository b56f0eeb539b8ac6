package app.apimodels.core.routing;

/**
 * The circuit breaker of one route, on the engine's clock. Closed, it lets every call through and
 * counts consecutive failures; at the threshold it opens and lets none through for the open time;
 * then it half-opens and lets exactly one call through as a probe — its success closes it, its
 * failure opens it again. A probe that ends without a verdict (the client left) hands the probe to
 * the next call. Failures here are the route's own (5xx, timeouts, broken connections, a model it
 * does not know); a rate limit or a refused key is not the route being down.
 */
final class Breaker {

    /** What a call may do: not pass, pass, or pass as the half-open breaker's one probe. */
    enum Pass { DENIED, PASS, PROBE }

    private final int threshold;
    private final long openMillis;
    private Routing.Circuit state = Routing.Circuit.CLOSED;
    private int failures;
    private long openUntil;
    private boolean probing;

    Breaker(int threshold, long openMillis) {
        this.threshold = threshold;
        this.openMillis = openMillis;
    }

    /** Whether a call may go to the route now; a PROBE must end with success, failure or {@link #unjudged}. */
    synchronized Pass tryPass(long now) {
        if (state == Routing.Circuit.OPEN && now >= openUntil) {
            state = Routing.Circuit.HALF_OPEN;
            probing = false;
        }
        return switch (state) {
            case CLOSED -> Pass.PASS;
            case OPEN -> Pass.DENIED;
            case HALF_OPEN -> {
                if (probing) {
                    yield Pass.DENIED;
                }
                probing = true;
                yield Pass.PROBE;
            }
        };
    }

    /**
     * When a call could pass, not taking the probe: {@code now} if it could now, the end of the open
     * time, or a second from now while a probe is out (its end is unknown).
     */
    synchronized long freeAt(long now) {
        return switch (state) {
            case CLOSED -> now;
            case OPEN -> Math.max(now, openUntil);
            case HALF_OPEN -> probing ? now + 1000 : now;
        };
    }

    synchronized void success() {
        state = Routing.Circuit.CLOSED;
        failures = 0;
        probing = false;
    }

    synchronized void failure(long now) {
        failures++;
        if (state == Routing.Circuit.HALF_OPEN || (state == Routing.Circuit.CLOSED && failures >= threshold)) {
            state = Routing.Circuit.OPEN;
            openUntil = now + openMillis;
            probing = false;
        }
    }

    /** A call that ended without telling whether the route works; a probe's turn passes on. */
    synchronized void unjudged(Pass pass) {
        if (pass == Pass.PROBE && state == Routing.Circuit.HALF_OPEN) {
            probing = false;
        }
    }

    synchronized Snapshot snapshot(long now) {
        Routing.Circuit shown = state == Routing.Circuit.OPEN && now >= openUntil ? Routing.Circuit.HALF_OPEN : state;
        return new Snapshot(shown, failures, state == Routing.Circuit.OPEN ? openUntil : 0);
    }

    /** @param openUntil when an open breaker lets a probe through; 0 when it is not open */
    record Snapshot(Routing.Circuit state, int consecutiveFailures, long openUntil) {
    }
}
