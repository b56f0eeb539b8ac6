package app.apimodels.spi.web;

import java.time.Duration;

/**
 * What an adapter enforces while it reads request bodies ({@link Exchange#readBody}): slow or
 * oversized bodies must cost neither a thread nor unbounded memory.
 *
 * @param maxBytes           largest buffered body; larger ones are not read and get 413
 * @param maxStreamedBytes   largest body the engine reads as a stream (file uploads)
 * @param timeout            a buffered body not received in full by then gets 408 and the connection is closed
 * @param streamedTimeout    the same deadline for streamed bodies
 * @param maxConcurrentReads bodies being received at once; more get 503 at once
 * @param maxConcurrentStreamedReads of those, streamed bodies (each may be as large as {@code maxStreamedBytes}
 *                                   and is kept on disk while it arrives)
 */
public record BodyLimits(long maxBytes, long maxStreamedBytes, Duration timeout, Duration streamedTimeout,
                         int maxConcurrentReads, int maxConcurrentStreamedReads) {

    public BodyLimits {
        if (maxBytes < 0 || maxStreamedBytes < 0 || maxConcurrentReads < 1 || maxConcurrentStreamedReads < 1
                || timeout.isNegative() || timeout.isZero() || streamedTimeout.isNegative() || streamedTimeout.isZero()) {
            throw new IllegalArgumentException("invalid body limits");
        }
    }
}
