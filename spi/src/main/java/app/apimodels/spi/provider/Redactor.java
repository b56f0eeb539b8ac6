package app.apimodels.spi.provider;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Makes upstream text safe to show a client: the provider's own key, bearer/key headers, the
 * usual key and secret prefixes ({@code sk-}, {@code r8_}, {@code whsec_}) and any long
 * token-like string are replaced by {@code [redacted]}, and the result is bounded in length.
 * Every provider passes upstream messages through one before putting them in a
 * {@link ProviderException}.
 */
public final class Redactor {

    private static final Pattern SECRETS = Pattern.compile(String.join("|",
            "(?i)\\b(?:bearer|key)\\s+[A-Za-z0-9:_\\-.]{16,}",
            "(?i)\\bbearer\\s+\\S+",
            "\\bsk-[A-Za-z0-9_\\-*.]{6,}",
            "\\br8_[A-Za-z0-9]{8,}",
            "\\bwhsec_\\S+",
            // 32+ characters of base64/hex alphabet with letters and digits: keys, tokens, hashes.
            "(?=[A-Za-z0-9+/_\\-]*\\d)(?=[A-Za-z0-9+/_\\-]*[A-Za-z])[A-Za-z0-9+/_\\-]{32,}={0,2}"));
    private static final String REDACTED = "[redacted]";
    private static final int MAX_MESSAGE = 500;

    private final Pattern secret;

    /** @param secret the provider's own key (any form it appears in is removed), or null */
    public Redactor(String secret) {
        this.secret = secret == null || secret.isBlank() ? null : Pattern.compile(Pattern.quote(secret.strip()));
    }

    /** The text made safe, at most 500 characters; null if it is null or blank. */
    public String scrub(String text) {
        if (text == null || text.isBlank()) {
            return null;
        }
        String scrubbed = secret == null ? text : secret.matcher(text).replaceAll(Matcher.quoteReplacement(REDACTED));
        scrubbed = SECRETS.matcher(scrubbed).replaceAll(Matcher.quoteReplacement(REDACTED));
        return scrubbed.length() <= MAX_MESSAGE ? scrubbed : scrubbed.substring(0, MAX_MESSAGE) + "…";
    }
}
