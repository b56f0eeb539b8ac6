package app.apimodels.spi.http;

/** Something in flight that the caller may abandon, e.g. when its own client went away. */
@FunctionalInterface
public interface Cancellable {
    /** Stops the work and releases its connection; idempotent; no callback follows. */
    void cancel();
}
