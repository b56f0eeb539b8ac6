package app.apimodels.core.sessions;

import app.apimodels.core.failure.Failure;
import app.apimodels.core.web.Form;
import app.apimodels.spi.web.Exchange;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;

/**
 * What a change made with a session cookie must show, since a browser sends the cookie whoever
 * made the page: the session's token in {@code X-CSRF-Token} (another site cannot read it) — or,
 * for an HTML form posted without script, in its {@code csrf_token} field — and an {@code Origin}
 * (or, without one, a {@code Referer}) of this service's own origin.
 */
public final class Csrf {

    public static final String HEADER = "X-CSRF-Token";
    /** The hidden field of a form that carries the token instead of the header. */
    public static final String FIELD = "csrf_token";

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
        if (inForm(ex)) {
            return; // the body is not read yet: checkForm, once it is
        }
        String token = ex.header(HEADER);
        if (token == null || token.isBlank()) {
            throw refused("the " + HEADER + " header is missing: a change made with a session cookie must send the csrf_token given at login");
        }
        if (!matches(token, session)) {
            throw refused("the " + HEADER + " header does not match this session's csrf_token");
        }
    }

    /** True when a change sends its token in a form field, not the header: {@link #checkForm} once the body is read. */
    public static boolean inForm(Exchange ex) {
        String token = ex.header(HEADER);
        return (token == null || token.isBlank()) && Form.carriedBy(ex);
    }

    /** The form's {@code csrf_token} field against the session's token (the origin was checked on the headers). */
    public void checkForm(Exchange ex, Session session) {
        String token = Form.of(ex).get(FIELD);
        if (token == null || token.isBlank()) {
            throw refused("the form's " + FIELD + " field is missing: a form posted with a session cookie must carry the session's csrf_token");
        }
        if (!matches(token, session)) {
            throw refused("the form's " + FIELD + " field does not match this session's csrf_token");
        }
    }

    private static boolean matches(String token, Session session) {
        return MessageDigest.isEqual(token.trim().getBytes(StandardCharsets.UTF_8), session.csrfToken().getBytes(StandardCharsets.UTF_8));
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
