package app.apimodels.core.relay;

import app.apimodels.core.failure.Failure;
import app.apimodels.spi.provider.ProviderException;

import java.time.Duration;
import java.util.concurrent.CompletionException;

/** What a provider's failure means for the client: shared by relayed calls and tasks. */
public final class Upstream {

    private Upstream() {
    }

    /** The provider's failure inside {@code err}; anything else a provider threw counts as a network failure. */
    public static ProviderException cause(Throwable err) {
        Throwable t = err;
        while (t instanceof CompletionException && t.getCause() != null) {
            t = t.getCause();
        }
        if (t instanceof ProviderException pe) {
            return pe;
        }
        return new ProviderException(ProviderException.Kind.NETWORK, "provider failed unexpectedly", t);
    }

    /** The error type of an attempt the engine stopped (the client left, or a shutdown cut it). */
    public static final String CANCELLED = "cancelled";

    /** A failure's bounded name for traces: {@code network}, {@code timeout}, {@code rate_limited}… */
    public static String errorType(ProviderException pe) {
        return pe.kind().name().toLowerCase(java.util.Locale.ROOT);
    }

    /** The client's failure once every route was tried. */
    public static Failure failure(ProviderException pe) {
        return switch (pe.kind()) {
            case INVALID_REQUEST -> Failure.invalid(pe.param(), "upstream rejected the request: " + pe.getMessage());
            case RATE_LIMITED -> new Failure(Failure.Reason.UPSTREAM_RATE_LIMITED,
                    "every upstream for this model is rate limited; retry shortly", null, Duration.ofSeconds(1));
            case TIMEOUT -> new Failure(Failure.Reason.UPSTREAM_TIMEOUT, "the upstream did not answer in time");
            default -> new Failure(Failure.Reason.UPSTREAM_FAILED, "the upstream failed: " + pe.getMessage());
        };
    }
}
