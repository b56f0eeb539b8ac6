package app.apimodels.spi.web;

/**
 * An open server-sent-events response. Safe to call from one thread at a time (the engine
 * serialises its calls). Writes are flushed at once; an adapter with non-blocking I/O never blocks
 * the sender but keeps what the client has not taken yet, and {@link #whenSent} says when it has.
 */
public interface EventStream {

    /**
     * Writes raw SSE bytes (one or more complete events, or a {@code :} comment line) and flushes.
     *
     * @return false if the client has gone away (nothing more should be sent)
     */
    boolean send(byte[] bytes);

    /**
     * Runs {@code next} once every byte sent so far has been handed to the connection: at once if
     * it has, otherwise later, possibly on a container thread. A sender that produces the next
     * events only then holds no thread while a client reads slowly, and the stream keeps no more
     * than what was sent since. Not run if the client goes away first. The default, for streams
     * whose {@link #send} returns only once the bytes are written, runs it at once.
     */
    default void whenSent(Runnable next) {
        next.run();
    }

    /** Ends the response normally (after what was sent has been written). Idempotent. */
    void close();

    /**
     * Registers what to do when the client disconnects before {@link #close()}; runs at most once,
     * possibly on a container thread. If the client is already gone it runs at once.
     */
    void onClientGone(Runnable action);
}
