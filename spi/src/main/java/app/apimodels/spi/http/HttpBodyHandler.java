package app.apimodels.spi.http;

import java.nio.ByteBuffer;
import java.util.Map;

/**
 * Receives a streamed response. Calls arrive in order from one thread at a time:
 * {@code onHead}, then any number of {@code onData}, then exactly one of {@code onComplete}
 * or {@code onError} (unless the exchange was cancelled, after which nothing more is delivered).
 */
public interface HttpBodyHandler {
    /** Status and lower-case header names. */
    void onHead(int status, Map<String, String> headers);

    /** A piece of the body; the buffer is only valid during the call. */
    void onData(ByteBuffer data);

    /**
     * A piece of the body, with backpressure: the transport reads the next piece of this exchange
     * only once {@code next} has run, which the handler does when it has passed this piece on (at
     * once, or later from another thread once a slow client has taken it). Only this exchange
     * waits: over HTTP/2 the other streams of the same connection go on, and flow control holds the
     * upstream back. Transports that can pause call this form; the default, for handlers that pass
     * a piece on before returning, is {@link #onData(ByteBuffer)} and then {@code next} at once.
     * The buffer is only valid during the call.
     */
    default void onData(ByteBuffer data, Runnable next) {
        onData(data);
        next.run();
    }

    void onComplete();

    /** Connect failure, timeout, reset or any other transport failure. */
    void onError(Throwable error);
}
