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
        /**
         * Upstream refused our credentials or configuration (401/403/404): our fault, not the client's.
         * With status 401, 402 or 403, 429 for an account out of quota (OpenAI's {@code insufficient_quota},
         * Gemini's exhausted daily or zero quota) or 400 for a key the upstream names as such (Anthropic's
         * credit balance, Google's {@code API_KEY_INVALID}), the key itself was refused: see {@link #keyRefused()}.
         */
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
    private final java.time.Duration retryAfter;

    public ProviderException(Kind kind, int upstreamStatus, String message, String param, Throwable cause) {
        this(kind, upstreamStatus, message, param, cause, null);
    }

    /** @param retryAfter how long the upstream asked us to wait ({@code Retry-After}), or null */
    public ProviderException(Kind kind, int upstreamStatus, String message, String param, Throwable cause,
                             java.time.Duration retryAfter) {
        super(message, cause);
        this.kind = kind;
        this.upstreamStatus = upstreamStatus;
        this.param = param;
        this.retryAfter = retryAfter;
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

    /** How long the upstream asked us to wait before calling again ({@code Retry-After}), if it said. */
    public java.util.Optional<java.time.Duration> retryAfter() {
        return java.util.Optional.ofNullable(retryAfter);
    }

    /**
     * This failure with the wait an answer's headers ask for ({@code retry-after-ms}, {@code Retry-After}
     * in seconds or as an HTTP date; see {@link app.apimodels.spi.http.RetryAfter}); itself if they ask none.
     */
    public ProviderException withRetryAfter(java.util.Map<String, String> headers) {
        return app.apimodels.spi.http.RetryAfter.from(headers)
                .map(wait -> {
                    ProviderException e = new ProviderException(kind, upstreamStatus, getMessage(), param, getCause(), wait);
                    e.setStackTrace(getStackTrace());
                    return e;
                })
                .orElse(this);
    }

    /**
     * The upstream refused the key the call was made with (401, 403; 402, or a 400 or 429 a provider
     * classified as its configuration: an account out of credit or quota, a key it does not know):
     * another key of the same provider may still work, this one will not soon.
     */
    public boolean keyRefused() {
        return kind == Kind.UPSTREAM_CONFIG && (upstreamStatus == 400 || upstreamStatus == 401
                || upstreamStatus == 402 || upstreamStatus == 403 || upstreamStatus == 429);
    }
}
