package app.apimodels.spi.http;

import java.util.concurrent.CompletableFuture;

/**
 * The upstream HTTP client used by providers, replaceable so a deployment can pick the JDK
 * client (no dependency) or a faster one. Implementations reuse connections and never block
 * the calling thread.
 */
public interface HttpTransport extends AutoCloseable {

    /** Sends a request and buffers the whole response. Fails with {@link TransportException}. */
    CompletableFuture<HttpResponseData> send(HttpRequestSpec request);

    /** Sends a request and delivers the body as it arrives, without buffering it whole. */
    Cancellable stream(HttpRequestSpec request, HttpBodyHandler handler);

    @Override
    void close();
}
