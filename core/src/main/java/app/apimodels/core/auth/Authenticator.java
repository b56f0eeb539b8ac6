package app.apimodels.core.auth;

import app.apimodels.core.failure.Failure;
import app.apimodels.core.keys.ApiKeys;
import app.apimodels.core.policies.Policies;
import app.apimodels.core.sessions.Csrf;
import app.apimodels.core.sessions.SessionCookie;
import app.apimodels.core.sessions.Sessions;
import app.apimodels.core.web.Router.Access;
import app.apimodels.spi.web.Exchange;

/**
 * Who is calling, decided on the headers before any body is read. An API key from
 * {@code Authorization: Bearer …} or {@code x-api-key}, checked against the stored keys (a
 * missing, unknown, revoked or expired key is refused by {@link ApiKeys#authenticate}); where the
 * route takes one and no key is sent, the session cookie, whose state-changing calls must also
 * pass the CSRF and origin checks. Then the policy gate: an account yet to accept the policy in
 * force is refused, except on the routes that let it do so ({@link Access#ACCOUNT}).
 */
public final class Authenticator {

    private final ApiKeys keys;
    private final Sessions sessions;
    private final Csrf csrf;
    private final Policies policies;

    public Authenticator(ApiKeys keys, Sessions sessions, Csrf csrf, Policies policies) {
        this.keys = keys;
        this.sessions = sessions;
        this.csrf = csrf;
        this.policies = policies;
    }

    /** The caller of a route with this access (not {@link Access#PUBLIC}); refuses with a {@link Failure}. */
    public Caller caller(Exchange exchange, Access access) {
        String secret = keySecret(exchange);
        Caller caller;
        if (secret != null || access == Access.KEY) {
            caller = new Caller(keys.authenticate(secret), null);
        } else {
            String cookie = SessionCookie.read(exchange);
            if (cookie == null) {
                throw new Failure(Failure.Reason.UNAUTHENTICATED,
                        "missing credentials: send an API key as 'Authorization: Bearer <key>', or log in for a session cookie");
            }
            var session = sessions.find(cookie).orElseThrow(() -> new Failure(Failure.Reason.UNAUTHENTICATED,
                    "this session has ended (logged out, expired or unknown): log in again"));
            if (!Csrf.safe(exchange.method())) {
                csrf.check(exchange, session);
            }
            caller = new Caller(session.asKey(), session);
        }
        // Admins operate the service; the policy is what binds its users.
        if (access != Access.ACCOUNT && !caller.isAdmin()) {
            policies.check(caller.accountId(), caller.session() != null);
        }
        return caller;
    }

    /** The caller by API key alone, without the policy gate: a stored file's owner opening it on its public route. */
    public Caller keyCaller(Exchange exchange) {
        return new Caller(keys.authenticate(keySecret(exchange)), null);
    }

    private static String keySecret(Exchange exchange) {
        String auth = exchange.header("Authorization");
        if (auth != null && auth.regionMatches(true, 0, "Bearer ", 0, 7)) {
            return auth.substring(7).trim();
        }
        String header = exchange.header("x-api-key");
        return header == null ? null : header.trim();
    }
}
