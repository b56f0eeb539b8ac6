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
 * @param maxPublicBytes     largest body sent on a public route ({@link Exchange.Sender#PUBLIC}); larger ones get 413
 * @param publicTimeout      the deadline for a public route's body
 * @param maxConcurrentPublicReads public routes' bodies received at once, apart from (and not counted in)
 *                                 {@code maxConcurrentReads}: unauthenticated clients never take an
 *                                 authenticated caller's slot; more get 503 at once
 * @param maxBufferedBytes   bytes of authenticated callers' buffered bodies being received at once (a
 *                           declared length counts in full from the start, a chunked body as it
 *                           arrives); a body that would go over it gets 503. Never below
 *                           {@code maxBytes}, so one largest body always fits. With public routes'
 *                           {@code maxConcurrentPublicReads × maxPublicBytes}, this bounds the memory of
 *                           bodies being received
 */
public record BodyLimits(long maxBytes, long maxStreamedBytes, Duration timeout, Duration streamedTimeout,
                         int maxConcurrentReads, int maxConcurrentStreamedReads,
                         long maxPublicBytes, Duration publicTimeout, int maxConcurrentPublicReads,
                         long maxBufferedBytes) {

    public BodyLimits {
        maxBufferedBytes = Math.max(maxBufferedBytes, maxBytes);
        if (maxBytes < 0 || maxStreamedBytes < 0 || maxPublicBytes < 0 || maxConcurrentReads < 1
                || maxConcurrentStreamedReads < 1 || maxConcurrentPublicReads < 1
                || timeout.isNegative() || timeout.isZero() || streamedTimeout.isNegative() || streamedTimeout.isZero()
                || publicTimeout.isNegative() || publicTimeout.isZero()) {
            throw new IllegalArgumentException("invalid body limits");
        }
    }

    /** The largest body accepted from {@code sender}: a public route's is the smallest. */
    public long maxBytes(boolean streamed, Exchange.Sender sender) {
        return sender == Exchange.Sender.PUBLIC ? Math.min(maxPublicBytes, maxBytes) : streamed ? maxStreamedBytes : maxBytes;
    }

    /** The deadline for a body from {@code sender}: a public route's is the shortest. */
    public Duration timeout(boolean streamed, Exchange.Sender sender) {
        return sender == Exchange.Sender.PUBLIC ? publicTimeout : streamed ? streamedTimeout : timeout;
    }
}
