package app.apimodels.core.policies;

/**
 * A published version of the privacy policy and terms.
 *
 * @param effectiveAt epoch millis from which it is in force
 * @param summary     what changed, for the notice (may be null)
 * @param url         where the full text is (may be null)
 */
public record Policy(String version, long effectiveAt, String summary, String url, long publishedAt) {
}
