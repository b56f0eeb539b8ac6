package app.apimodels.spi.web;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.util.Map;

/**
 * One HTTP request/response as the engine sees it, independent of the server it runs in
 * (the servlet adapter implements it). The engine answers exactly once: either with
 * {@link #respond} or by opening an {@link EventStream} and closing it later. Any thread may
 * answer; the adapter keeps the request open (asynchronously) until then. A second answer is
 * ignored; {@link #openEventStream()} after an answer throws {@link IllegalStateException}.
 * Request data ({@link #header}, {@link #query}, {@link #body}) is read before answering.
 */
public interface Exchange {

    /** Upper-case HTTP method. */
    String method();

    /** Path below the mount point, starting with {@code /}, not decoded beyond the container's own decoding. */
    String path();

    /** First value of a query parameter, or null. */
    String query(String name);

    /** The query string as sent (not decoded), or null if there is none. */
    String rawQuery();

    /** First value of a header (case-insensitive name), or null. */
    String header(String name);

    /** Every header, first value each, looked up case-insensitively (webhook signatures need them all). */
    Map<String, String> headers();

    /**
     * Where the API is mounted as the client reached it, e.g. {@code https://host:8443/app/api}
     * (no trailing slash); absolute links are built from it when {@code apimodels.public-url} is
     * not configured.
     */
    String baseUrl();

    /** The client's address, for logs and rate limits. */
    String remoteAddress();

    /**
     * Reads the request body, then runs {@code next} on whatever thread finished reading. The engine
     * calls this once, after routing and authentication, so no body byte of a request that is
     * refused on its headers is ever read, and an adapter can read without holding a thread while
     * a slow client sends (Servlet non-blocking I/O). If reading fails (the client left, stalled past
     * the adapter's deadline) the adapter ends the exchange itself and {@code next} never runs.
     * The default is for adapters (and test doubles) that hold the whole body already.
     */
    default void readBody(Runnable next) {
        next.run();
    }

    /** Who sends a request body: decides which of the adapter's limits apply to it ({@link BodyLimits}). */
    enum Sender {
        /** A caller the engine has authenticated on the headers. */
        AUTHENTICATED,
        /**
         * Anyone, on a public route (a provider's webhook, verified only once its body is read): gets
         * its own smaller cap, size and deadline, so unauthenticated slow clients cannot take the
         * room authenticated callers need.
         */
        PUBLIC
    }

    /**
     * {@link #readBody(Runnable)} for a body from {@code sender}; the one-argument form reads an
     * authenticated caller's body. The default, for adapters that hold the whole body already,
     * ignores the sender.
     */
    default void readBody(Sender sender, Runnable next) {
        readBody(next);
    }

    /**
     * The request body; empty if none. Valid once {@link #readBody} has called back, and only when
     * {@link #bodyTooLarge()} is false.
     */
    byte[] body();

    /** True if the body exceeded the engine's limit and was not read; the engine answers 413. */
    boolean bodyTooLarge();

    /**
     * The body as a stream. For requests the engine asked to stream ({@code ApiModels#streamsBody})
     * this is the whole body, never buffered in memory: read from the client as it sends, or from a
     * temporary file the adapter received it into (the engine enforces its own limits on what it
     * keeps); otherwise it reads {@link #body()}. Read it before answering.
     */
    default InputStream bodyStream() {
        return new ByteArrayInputStream(body());
    }

    /** Sends a complete response and ends the exchange. */
    void respond(Response response);

    /**
     * Sends a response whose body is copied from {@code body} (a file being served), then closes
     * {@code body} and ends the exchange. Blocks the calling thread while copying.
     *
     * @param length the number of bytes {@code body} delivers (sent as Content-Length)
     */
    void respond(int status, String contentType, Map<String, String> headers, InputStream body, long length);

    /**
     * Registers what to do if the client disconnects before the exchange is answered (a call
     * abandoned while the engine waits on an upstream); runs at most once, possibly on a container
     * thread, and at once if the client is already gone. A later registration replaces an earlier
     * one. The default, for adapters that cannot tell, never runs it.
     */
    default void onClientGone(Runnable action) {
    }

    /**
     * Starts a {@code text/event-stream} response with status 200. Headers are committed at once
     * (so the client sees the stream has begun), with buffering disabled along the way.
     */
    EventStream openEventStream();
}
