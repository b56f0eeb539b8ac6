package app.apimodels.spi.provider;

/**
 * An upstream failure, classified so the relay knows whether to try the next route and what
 * to tell the client. The message must be safe to show a client: never an upstream key.
 */
public class ProviderException extends RuntimeException {

    public enum Kind {
        /** Could not connect; the request did not reach the upstream. */
        CONNECT(true),
        /** No answer (or no first byte) within the timeout. */
        TIMEOUT(true),
        /** Connection reset or broken response. */
        NETWORK(true),
        /** Upstream 429. */
        RATE_LIMITED(true),
        /** Upstream 5xx. */
        UPSTREAM_ERROR(true),
        /** Upstream refused our credentials or configuration (401/403/404): our fault, not the client's. */
        UPSTREAM_CONFIG(true),
        /** Upstream says the client's request is invalid (400/413/422); retrying elsewhere won't help. */
        INVALID_REQUEST(false);

        private final boolean retryable;

        Kind(boolean retryable) {
            this.retryable = retryable;
        }

        public boolean retryable() {
            return retryable;
        }
    }

    private final Kind kind;
    private final int upstreamStatus;
    private final String param;

    public ProviderException(Kind kind, int upstreamStatus, String message, String param, Throwable cause) {
        super(message, cause);
        this.kind = kind;
        this.upstreamStatus = upstreamStatus;
        this.param = param;
    }

    public ProviderException(Kind kind, String message, Throwable cause) {
        this(kind, 0, message, null, cause);
    }

    /**
     * The exception for a call that failed below HTTP, as an {@link app.apimodels.spi.http.HttpTransport}
     * reports it (wrapped or not): connect failures, timeouts and broken connections get their kinds;
     * a {@code ProviderException} passes through. Messages say nothing about the upstream's address.
     */
    public static ProviderException fromTransport(Throwable failure) {
        Throwable e = failure;
        while ((e instanceof java.util.concurrent.CompletionException || e instanceof java.util.concurrent.ExecutionException)
                && e.getCause() != null) {
            e = e.getCause();
        }
        if (e instanceof ProviderException providerException) {
            return providerException;
        }
        app.apimodels.spi.http.TransportException.Kind kind = e instanceof app.apimodels.spi.http.TransportException t
                ? t.kind() : app.apimodels.spi.http.TransportException.Kind.OTHER;
        return switch (kind) {
            case CONNECT -> new ProviderException(Kind.CONNECT, "could not connect to the upstream", e);
            case TIMEOUT -> new ProviderException(Kind.TIMEOUT, "upstream did not answer in time", e);
            case RESET, OTHER -> new ProviderException(Kind.NETWORK, "upstream connection failed", e);
        };
    }

    public Kind kind() {
        return kind;
    }

    /** The upstream HTTP status, or 0 if none was received. */
    public int upstreamStatus() {
        return upstreamStatus;
    }

    /** The request field the upstream complained about, if it said. */
    public String param() {
        return param;
    }
}
