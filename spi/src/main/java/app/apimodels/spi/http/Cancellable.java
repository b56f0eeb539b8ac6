package app.apimodels.spi.http;

/** Something in flight that the caller may abandon, e.g. when its own client went away. */
@FunctionalInterface
public interface Cancellable {
    /**
     * Stops the work and releases its connection; idempotent. Must not block waiting for a
     * callback that is being delivered on another thread: one delivery already under way may
     * still arrive (callers ignore it); none starts afterwards.
     */
    void cancel();
}
