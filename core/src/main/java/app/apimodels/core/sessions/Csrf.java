package app.apimodels.core.sessions;

import app.apimodels.core.failure.Failure;
import app.apimodels.spi.web.Exchange;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;

/**
 * What a change made with a session cookie must show, since a browser sends the cookie whoever
 * made the page: the session's token in {@code X-CSRF-Token} (another site cannot read it), and an
 * {@code Origin} (or, without one, a {@code Referer}) of this service's own origin.
 */
public final class Csrf {

    public static final String HEADER = "X-CSRF-Token";

    private final Site site;

    public Csrf(Site site) {
        this.site = site;
    }

    /** True for methods that change nothing, which need neither. */
    public static boolean safe(String method) {
        return "GET".equals(method) || "HEAD".equals(method) || "OPTIONS".equals(method);
    }

    /** Refuses (403 {@code csrf_rejected}, naming what is wrong) a change that lacks either. */
    public void check(Exchange ex, Session session) {
        checkOrigin(ex, true);
        String token = ex.header(HEADER);
        if (token == null || token.isBlank()) {
            throw refused("the " + HEADER + " header is missing: a change made with a session cookie must send the csrf_token given at login");
        }
        if (!MessageDigest.isEqual(token.trim().getBytes(StandardCharsets.UTF_8), session.csrfToken().getBytes(StandardCharsets.UTF_8))) {
            throw refused("the " + HEADER + " header does not match this session's csrf_token");
        }
    }

    /**
     * Refuses a request from another origin. {@code required}: a request that names no origin at
     * all is refused too (cookie-authenticated changes); otherwise only a different one is (a login
     * form posted from another site, while API clients that send no {@code Origin} still work).
     */
    public void checkOrigin(Exchange ex, boolean required) {
        String origin = ex.header("Origin");
        // "null" (a sandboxed frame, a privacy-minded redirect) is an origin too, and not ours.
        String from = origin != null && !origin.isBlank() ? origin.trim() : null;
        if (from == null && ex.header("Referer") != null) {
            var referer = Site.parse(ex.header("Referer").trim());
            from = referer == null ? "an unreadable Referer" : Site.origin(referer);
        } else if (from != null) {
            var parsed = Site.parse(from);
            from = parsed == null ? from : Site.origin(parsed);
        }
        String own = site.origin(ex);
        if (from == null) {
            if (required) {
                throw refused("neither Origin nor Referer was sent: a change made with a session cookie must come from "
                        + (own == null ? "this service's pages" : own));
            }
            return;
        }
        if (!from.equals(own)) {
            String shown = from.length() > 100 ? from.substring(0, 100) + "…" : from;
            throw refused("requests from " + shown + " are refused: a change made with a session cookie must come from "
                    + (own == null ? "this service's pages" : own));
        }
    }

    private static Failure refused(String message) {
        return new Failure(Failure.Reason.CSRF_REJECTED, message, HEADER);
    }
}
