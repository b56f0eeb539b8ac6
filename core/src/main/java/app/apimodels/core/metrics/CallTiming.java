package app.apimodels.core.metrics;

/**
 * What a relayed call's clock said, in nanoseconds ({@code -1}: not measured): its whole length,
 * the time spent on upstream attempts, and for a stream the time to its first chunk.
 */
public record CallTiming(long totalNanos, long upstreamNanos, long firstTokenNanos) {

    public static final CallTiming NONE = new CallTiming(-1, -1, -1);
}
