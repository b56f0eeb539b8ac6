package app.apimodels.core.limits;

/**
 * What an admin set for one account or key: each field overrides the configured default, and
 * {@code null} keeps the default ({@code 0} is unlimited, as in the configuration).
 */
public record AdminLimit(Long requestsPerMinute, Long tokensPerMinute, Long concurrentCalls) {

    public static final AdminLimit NONE = new AdminLimit(null, null, null);

    public boolean none() {
        return requestsPerMinute == null && tokensPerMinute == null && concurrentCalls == null;
    }

    /** The limit in force: this override over {@code defaults}. */
    public Limit over(Limit defaults) {
        return new Limit(requestsPerMinute != null ? requestsPerMinute : defaults.requestsPerMinute(),
                tokensPerMinute != null ? tokensPerMinute : defaults.tokensPerMinute(),
                concurrentCalls != null ? concurrentCalls : defaults.concurrentCalls());
    }
}
