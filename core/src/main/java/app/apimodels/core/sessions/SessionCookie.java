package app.apimodels.core.sessions;

import app.apimodels.spi.web.Exchange;

import java.time.Duration;

/**
 * The session cookie: {@code HttpOnly}, {@code SameSite=Lax}; over HTTPS also {@code Secure} with
 * the {@code __Host-} prefix, which browsers accept only with {@code Path=/} and no domain, so it
 * is then sent to the whole host; over plain HTTP it is scoped to the mount's path.
 */
public final class SessionCookie {

    static final String NAME = "apimodels_session";
    static final String SECURE_NAME = "__Host-" + NAME;
    /** Longer values are not ours (ours are 43 characters) and are not looked up. */
    private static final int MAX_VALUE = 100;

    private final Site site;

    public SessionCookie(Site site) {
        this.site = site;
    }

    /** The session id the request carries, or null. */
    public static String read(Exchange ex) {
        String header = ex.header("Cookie");
        if (header == null) {
            return null;
        }
        String found = null;
        for (String part : header.split(";")) {
            int eq = part.indexOf('=');
            if (eq < 0) {
                continue;
            }
            String name = part.substring(0, eq).trim();
            String value = part.substring(eq + 1).trim();
            if ((name.equals(SECURE_NAME) || (name.equals(NAME) && found == null)) && !value.isEmpty() && value.length() <= MAX_VALUE) {
                found = value;
            }
        }
        return found;
    }

    /** The {@code Set-Cookie} value that gives the browser {@code sessionId} for {@code maxAge}. */
    public String set(Exchange ex, String sessionId, Duration maxAge) {
        return header(ex, sessionId, maxAge.toSeconds());
    }

    /** The {@code Set-Cookie} value that makes the browser forget the cookie. */
    public String clear(Exchange ex) {
        return header(ex, "", 0);
    }

    private String header(Exchange ex, String value, long maxAge) {
        boolean secure = site.secure(ex);
        return (secure ? SECURE_NAME : NAME) + "=" + value + "; Path=" + (secure ? "/" : site.path(ex)) + "; Max-Age=" + maxAge
                + "; HttpOnly; SameSite=Lax" + (secure ? "; Secure" : "");
    }
}
