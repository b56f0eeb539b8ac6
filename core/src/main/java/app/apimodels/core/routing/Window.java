package app.apimodels.core.routing;

import java.util.Arrays;

/**
 * A route's recent calls: the last {@value #SIZE} outcomes (when, how long, whether it failed),
 * read over the last {@code spanMillis}. A fixed ring under one lock: recording costs a few stores,
 * and the percentiles are sorted only when someone reads them.
 */
final class Window {

    static final int SIZE = 512;

    private final long spanMillis;
    private final long[] at = new long[SIZE];
    private final int[] latencyMillis = new int[SIZE];
    private final boolean[] failed = new boolean[SIZE];
    private int next;
    private int filled;

    Window(long spanMillis) {
        this.spanMillis = spanMillis;
    }

    synchronized void record(long now, long latency, boolean failure) {
        at[next] = now;
        latencyMillis[next] = (int) Math.min(Integer.MAX_VALUE, Math.max(0, latency));
        failed[next] = failure;
        next = (next + 1) % SIZE;
        filled = Math.min(SIZE, filled + 1);
    }

    /** Calls, failures and latency percentiles (of answered calls) within the span before {@code now}. */
    synchronized Stats stats(long now) {
        int calls = 0;
        int failures = 0;
        int[] latencies = new int[filled];
        int answered = 0;
        for (int i = 0; i < filled; i++) {
            if (now - at[i] > spanMillis) {
                continue;
            }
            calls++;
            if (failed[i]) {
                failures++;
            } else {
                latencies[answered++] = latencyMillis[i];
            }
        }
        int[] sorted = Arrays.copyOf(latencies, answered);
        Arrays.sort(sorted);
        return new Stats(calls, failures, percentile(sorted, 50), percentile(sorted, 95));
    }

    /** Nearest-rank percentile; null with no answered call. */
    private static Integer percentile(int[] sorted, int p) {
        if (sorted.length == 0) {
            return null;
        }
        int rank = (int) Math.ceil(p / 100.0 * sorted.length);
        return sorted[Math.max(0, rank - 1)];
    }

    record Stats(int calls, int failures, Integer p50Millis, Integer p95Millis) {
        Double errorRate() {
            return calls == 0 ? null : (double) failures / calls;
        }
    }
}
