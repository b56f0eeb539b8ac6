package app.apimodels.core.limits;

/**
 * A token bucket for "n per minute": it holds at most a minute's worth and refills continuously,
 * so a client may burst up to the limit and then goes at the limit's pace. Not thread-safe: its
 * {@link Meter} guards it. Levels are kept in sixty-thousandths of a token, which makes the refill
 * exactly {@code perMinute} units per millisecond, in whole numbers.
 */
final class Bucket {

    private static final long UNITS = 60_000;
    /** Lowest level a correction may leave: far from overflow, yet more debt than any real call. */
    private static final long FLOOR = Long.MIN_VALUE / 4;

    private long perMinute;
    private long level;
    private long at;

    Bucket(long perMinute, long now) {
        this.perMinute = perMinute;
        this.level = capacity();
        this.at = now;
    }

    /**
     * Follows a change of the limit (an operator's, or this node's share when nodes come and go):
     * what was used within the minute stays used, so a raised limit is available at once and a
     * lowered one may leave the bucket in debt.
     */
    void resize(long newPerMinute, long now) {
        if (newPerMinute != perMinute) {
            refill(now);
            long used = capacity() - level;
            perMinute = newPerMinute;
            level = Math.max(FLOOR, capacity() - used);
        }
    }

    /** The most one call may take at once: a whole minute's worth (a bigger call waits for a full bucket). */
    long cap(long n) {
        return Math.min(n, perMinute);
    }

    /** Milliseconds until {@code n} (at most {@link #cap}) can be taken; 0 if now. */
    long wait(long n, long now) {
        refill(now);
        long need = cap(n) * UNITS;
        return level >= need ? 0 : (need - level + perMinute - 1) / perMinute;
    }

    void take(long n) {
        level -= cap(n) * UNITS;
    }

    /** Gives back {@code n} taken before (or, negative, takes what a call used beyond its reservation). */
    void give(long n) {
        level = Math.max(FLOOR, Math.min(capacity(), level + n * UNITS));
    }

    boolean full(long now) {
        refill(now);
        return level >= capacity();
    }

    private long capacity() {
        return perMinute * UNITS;
    }

    private void refill(long now) {
        long elapsed = now - at;
        if (elapsed <= 0) {
            return; // a clock moved back refills nothing
        }
        at = now;
        // A minute refills any bucket that is not in debt; the multiplication below stays in range.
        long gain = elapsed >= 60_000 && level >= 0 ? capacity() : Math.min(elapsed, 60_000L * 1_000) * perMinute;
        level = Math.min(capacity(), level + gain);
    }
}
