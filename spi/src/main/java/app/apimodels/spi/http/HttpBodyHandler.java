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

    void onComplete();

    /** Connect failure, timeout, reset or any other transport failure. */
    void onError(Throwable error);
}
