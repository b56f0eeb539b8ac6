package app.apimodels.core.routing;

import java.util.Arrays;

/**
 * The circuit breaker of one route, on the engine's clock. Closed, it lets every call through and
 * counts the route's verdicts over the last {@link #SPAN_MILLIS}; it opens when at least
 * {@code threshold} of them are failures and they are at least half of them, and lets none
 * through for the open time; then it half-opens and lets exactly one call through as a probe — its
 * success closes it, its failure opens it again. A probe that ends without a verdict (the client
 * left) hands the probe to the next call. Failures here are the route's own (5xx, timeouts, broken
 * connections, a model it does not know); a rate limit or a refused key is not the route being down.
 *
 * <p>Why a share over a short span and not consecutive failures: with thousands of calls in
 * flight, a few failures land together (the streams of one broken upstream connection fail in the
 * same millisecond) between successes that are still streaming, and an open breaker refuses every
 * call for the open time — it turned one connection's hundred failed streams among 10,000 healthy
 * ones into tens of thousands of refusals. A route that fails every call opens exactly as before,
 * at its {@code threshold}-th failure.
 */
final class Breaker {

    /** What a call may do: not pass, pass, or pass as the half-open breaker's one probe. */
    enum Pass { DENIED, PASS, PROBE }

    /** The span verdicts are counted over, in one-second buckets. */
    static final long SPAN_MILLIS = 10_000;
    private static final int BUCKETS = (int) (SPAN_MILLIS / 1000);

    private final int threshold;
    private final long openMillis;
    private Routing.Circuit state = Routing.Circuit.CLOSED;
    /** Failures since the last success: shown, not decided on. */
    private int consecutive;
    private long openUntil;
    private boolean probing;
    /** Per bucket: the second it counts (epoch ms / 1000), its successes and failures. */
    private final long[] second = new long[BUCKETS];
    private final int[] successes = new int[BUCKETS];
    private final int[] failures = new int[BUCKETS];

    Breaker(int threshold, long openMillis) {
        this.threshold = threshold;
        this.openMillis = openMillis;
        Arrays.fill(second, -1);
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

    /** The route answered: a closed breaker counts it, any other closes (the route works again). */
    synchronized void success(long now) {
        if (state != Routing.Circuit.CLOSED) {
            state = Routing.Circuit.CLOSED;
            probing = false;
            Arrays.fill(second, -1); // the failures that opened it are the past
        }
        consecutive = 0;
        successes[bucket(now)]++;
    }

    synchronized void failure(long now) {
        consecutive++;
        if (state == Routing.Circuit.HALF_OPEN) {
            open(now);
        } else if (state == Routing.Circuit.CLOSED) {
            failures[bucket(now)]++;
            int failed = 0;
            int answered = 0;
            long current = Math.floorDiv(now, 1000);
            for (int i = 0; i < BUCKETS; i++) {
                if (second[i] > current - BUCKETS) {
                    failed += failures[i];
                    answered += successes[i];
                }
            }
            if (failed >= threshold && failed >= answered) {
                open(now);
            }
        }
    }

    private void open(long now) {
        state = Routing.Circuit.OPEN;
        openUntil = now + openMillis;
        probing = false;
    }

    /** The bucket of {@code now}'s second, emptied first if it still held an older second. */
    private int bucket(long now) {
        long s = Math.floorDiv(now, 1000);
        int i = (int) Math.floorMod(s, (long) BUCKETS);
        if (second[i] != s) {
            second[i] = s;
            successes[i] = 0;
            failures[i] = 0;
        }
        return i;
    }

    /** A call that ended without telling whether the route works; a probe's turn passes on. */
    synchronized void unjudged(Pass pass) {
        if (pass == Pass.PROBE && state == Routing.Circuit.HALF_OPEN) {
            probing = false;
        }
    }

    synchronized Snapshot snapshot(long now) {
        Routing.Circuit shown = state == Routing.Circuit.OPEN && now >= openUntil ? Routing.Circuit.HALF_OPEN : state;
        return new Snapshot(shown, consecutive, state == Routing.Circuit.OPEN ? openUntil : 0);
    }

    /** @param openUntil when an open breaker lets a probe through; 0 when it is not open */
    record Snapshot(Routing.Circuit state, int consecutiveFailures, long openUntil) {
    }
}
