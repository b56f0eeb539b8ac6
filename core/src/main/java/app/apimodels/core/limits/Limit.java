package app.apimodels.core.limits;

/**
 * The abuse limits of one key, account or client address; {@code 0} means unlimited.
 *
 * @param requestsPerMinute calls admitted per minute
 * @param tokensPerMinute   model tokens (prompt + completion) per minute
 * @param concurrentCalls   calls running at once
 */
public record Limit(long requestsPerMinute, long tokensPerMinute, long concurrentCalls) {

    public static final Limit UNLIMITED = new Limit(0, 0, 0);
    /** The largest value an operator may set for any of the three (a billion tokens a minute). */
    public static final long MAX = 1_000_000_000L;

    public boolean unlimited() {
        return requestsPerMinute == 0 && tokensPerMinute == 0 && concurrentCalls == 0;
    }

    /**
     * This node's share when {@code nodes} nodes serve the cluster: each limit divided by the number
     * of nodes, rounded up (so a limit is never cut to zero, which would mean unlimited).
     */
    public Limit perNode(int nodes) {
        if (nodes <= 1) {
            return this;
        }
        return new Limit(share(requestsPerMinute, nodes), share(tokensPerMinute, nodes), share(concurrentCalls, nodes));
    }

    private static long share(long limit, int nodes) {
        return limit == 0 ? 0 : (limit + nodes - 1) / nodes;
    }
}
