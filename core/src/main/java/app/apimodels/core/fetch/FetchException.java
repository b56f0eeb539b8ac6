package app.apimodels.core.fetch;

import java.time.Duration;
import java.util.Optional;

/**
 * Why a fetch was refused or failed. {@link #getMessage()} is written for the client that supplied the
 * URL: it names the host as the URL spelled it, never an address the host resolved to (that would map
 * internal DNS for an attacker) and never the path or query (presigned URLs carry tokens there). The
 * underlying exception, if any, is kept as the cause for server logs only.
 */
public final class FetchException extends Exception {

    private static final long serialVersionUID = 1L;

    public static final String BAD_URL = "bad_url";
    public static final String BAD_SCHEME = "bad_scheme";
    public static final String BLOCKED_ADDRESS = "blocked_address";
    public static final String UNRESOLVABLE = "unresolvable";
    public static final String TOO_LARGE = "too_large";
    public static final String TIMEOUT = "timeout";
    public static final String HTTP_STATUS = "http_status";
    public static final String TOO_MANY_REDIRECTS = "too_many_redirects";
    public static final String IO = "io";

    private final String reason;
    private final int status;

    private FetchException(String reason, int status, String message, Throwable cause) {
        super(message, cause);
        this.reason = reason;
        this.status = status;
    }

    /** One of the constants of this class. */
    public String reason() {
        return reason;
    }

    /** The HTTP status for {@link #HTTP_STATUS}, otherwise 0. */
    public int status() {
        return status;
    }

    /**
     * The fetch failure behind {@code error}, if any. A {@link FetchedBody#stream()} can only throw
     * {@link java.io.IOException}, so it carries its {@link #TOO_LARGE}, {@link #TIMEOUT} or {@link #IO}
     * failure as the cause; whatever wrapped that on the way up (a storage layer, say) can be passed here.
     */
    public static Optional<FetchException> find(Throwable error) {
        return cause(error, FetchException.class);
    }

    /** The first throwable of {@code type} in the cause chain; bounded, since causes can form a cycle. */
    static <T extends Throwable> Optional<T> cause(Throwable error, Class<T> type) {
        Throwable t = error;
        for (int depth = 0; t != null && depth < 32; depth++, t = t.getCause()) {
            if (type.isInstance(t)) {
                return Optional.of(type.cast(t));
            }
        }
        return Optional.empty();
    }

    static FetchException badUrl(String why) {
        return new FetchException(BAD_URL, 0, "invalid URL: " + why, null);
    }

    static FetchException badScheme(String scheme) {
        return new FetchException(BAD_SCHEME, 0, "only http and https URLs are accepted, not " + scheme + ":", null);
    }

    static FetchException blocked(String host) {
        return new FetchException(BLOCKED_ADDRESS, 0,
                "host " + host + " is not a public internet address and may not be fetched", null);
    }

    static FetchException unresolvable(String host, Throwable cause) {
        return new FetchException(UNRESOLVABLE, 0, "host " + host + " could not be resolved", cause);
    }

    static FetchException tooLarge(String host, long maxBytes) {
        return new FetchException(TOO_LARGE, 0,
                "the response from " + host + " is larger than the limit of " + maxBytes + " bytes", null);
    }

    static FetchException timeout(String host, Duration budget, Throwable cause) {
        return new FetchException(TIMEOUT, 0,
                "fetching from " + host + " took longer than " + budget.toMillis() + " ms", cause);
    }

    static FetchException httpStatus(String host, int status) {
        return new FetchException(HTTP_STATUS, status, host + " answered HTTP " + status, null);
    }

    static FetchException tooManyRedirects(String host, int maxRedirects) {
        return new FetchException(TOO_MANY_REDIRECTS, 0,
                "more than " + maxRedirects + " redirects (the last one from " + host + ")", null);
    }

    static FetchException io(String host, Throwable cause) {
        return new FetchException(IO, 0, "the connection to " + host + " failed", cause);
    }
}
