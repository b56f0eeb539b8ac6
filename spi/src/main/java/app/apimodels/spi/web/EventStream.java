package app.apimodels.spi.web;

/**
 * An open server-sent-events response. Writes are flushed at once. Safe to call from one thread
 * at a time (the engine serialises its calls).
 */
public interface EventStream {

    /**
     * Writes raw SSE bytes (one or more complete events, or a {@code :} comment line) and flushes.
     *
     * @return false if the client has gone away (nothing more should be sent)
     */
    boolean send(byte[] bytes);

    /** Ends the response normally. Idempotent. */
    void close();

    /**
     * Registers what to do when the client disconnects before {@link #close()}; runs at most once,
     * possibly on a container thread. If the client is already gone it runs at once.
     */
    void onClientGone(Runnable action);
}
