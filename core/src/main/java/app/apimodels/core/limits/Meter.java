package app.apimodels.core.limits;

/**
 * The counters of one key, account or address on this node: a bucket of requests, a bucket of
 * tokens and the model calls running, under one lock. A meter that has fallen idle is retired (and dropped from its map); a caller that
 * still finds it retired takes a fresh one, so no count is ever kept on a meter nobody sees.
 */
final class Meter {

    /**
     * Why a call was not admitted, and when trying again can help.
     *
     * @param limit  as a client reads it ("requests per minute")
     * @param metric as {@code apimodels_limit_refusals} tags it ("requests")
     */
    record Refusal(String limit, String metric, long waitMillis) {
    }

    static final Refusal RETIRED = new Refusal("retired", "retired", 0);
    /** A running call ends at a time nobody knows; a second is a fair first guess for a client. */
    private static final long CONCURRENCY_WAIT_MILLIS = 1_000;

    private Bucket requests;
    private Bucket tokens;
    private long running;
    private boolean retired;

    /** Counts one request against the requests per minute, or says when it may come. */
    synchronized Refusal request(Limit limit, long now) {
        if (retired) {
            return RETIRED;
        }
        requests = follow(requests, limit.requestsPerMinute(), now);
        long wait = requests == null ? 0 : requests.wait(1, now);
        if (wait > 0) {
            return new Refusal("requests per minute", "requests", wait);
        }
        if (requests != null) {
            requests.take(1);
        }
        return null;
    }

    /**
     * Counts a model call of at most {@code worstTokens} as running and against the tokens per
     * minute, or says which limit refuses it. On success {@code reserved[index]} is the tokens taken
     * (a call bigger than a minute's worth takes a minute's worth).
     */
    synchronized Refusal call(Limit limit, long worstTokens, long now, long[] reserved, int index) {
        if (retired) {
            return RETIRED;
        }
        tokens = follow(tokens, limit.tokensPerMinute(), now);
        if (limit.concurrentCalls() > 0 && running >= limit.concurrentCalls()) {
            return new Refusal("concurrent calls", "concurrent", CONCURRENCY_WAIT_MILLIS);
        }
        long taken = 0;
        if (tokens != null) {
            long wait = tokens.wait(worstTokens, now);
            if (wait > 0) {
                return new Refusal("tokens per minute", "tokens", wait);
            }
            taken = tokens.cap(worstTokens);
            tokens.take(taken);
        }
        reserved[index] = taken;
        running++;
        return null;
    }

    /** Takes back a request counted for nothing (another meter refused it). */
    synchronized void undoRequest() {
        if (requests != null) {
            requests.give(1);
        }
    }

    /** Takes back a call that never started (another meter refused it). */
    synchronized void undoCall(long reservedTokens) {
        end(reservedTokens, 0);
    }

    /** The call ended having used {@code usedTokens}: it stops running, and its reservation is corrected. */
    synchronized void end(long reservedTokens, long usedTokens) {
        running--;
        if (tokens != null) {
            tokens.give(reservedTokens - usedTokens);
        }
    }

    synchronized long running() {
        return running;
    }

    /** Retires this meter if it holds nothing: no call running and both buckets full again. */
    synchronized boolean retireIfIdle(long now) {
        if (running == 0 && (requests == null || requests.full(now)) && (tokens == null || tokens.full(now))) {
            retired = true;
        }
        return retired;
    }

    private static Bucket follow(Bucket bucket, long perMinute, long now) {
        if (perMinute == 0) {
            return null;
        }
        if (bucket == null) {
            return new Bucket(perMinute, now);
        }
        bucket.resize(perMinute, now);
        return bucket;
    }
}
