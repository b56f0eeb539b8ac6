package app.apimodels.core.web;

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

    /** First value of a header (case-insensitive name), or null. */
    String header(String name);

    /** The client's address, for logs and rate limits. */
    String remoteAddress();

    /**
     * The request body, read fully by the adapter; empty if none.
     * Only valid when {@link #bodyTooLarge()} is false.
     */
    byte[] body();

    /** True if the body exceeded the engine's limit and was not read; the engine answers 413. */
    boolean bodyTooLarge();

    /** Sends a complete response and ends the exchange. */
    void respond(Response response);

    /**
     * Starts a {@code text/event-stream} response with status 200. Headers are committed at once
     * (so the client sees the stream has begun), with buffering disabled along the way.
     */
    EventStream openEventStream();
}
