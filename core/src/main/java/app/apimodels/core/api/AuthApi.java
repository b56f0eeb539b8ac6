package app.apimodels.core.api;

import app.apimodels.core.accounts.Account;
import app.apimodels.core.accounts.Accounts;
import app.apimodels.core.accounts.PasswordResets;
import app.apimodels.core.accounts.Passwords;
import app.apimodels.core.accounts.SignUps;
import app.apimodels.core.accounts.Throttle;
import app.apimodels.core.limits.ClientAddress;
import app.apimodels.core.sessions.Csrf;
import app.apimodels.core.sessions.Logins;
import app.apimodels.core.sessions.Session;
import app.apimodels.core.sessions.SessionCookie;
import app.apimodels.core.sessions.Sessions;
import app.apimodels.core.sessions.Site;
import app.apimodels.core.web.ApiException;
import app.apimodels.core.web.Json;
import app.apimodels.core.web.Request;
import app.apimodels.spi.web.Exchange;
import app.apimodels.spi.web.Response;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * {@code /auth…} (browser sign-up, verification, login, logout, password reset) and the account's
 * own sessions. Answers that could tell whether an address is registered are the same for every
 * address: 201 for a sign-up, 202 for a resend or a reset request, one 401 for any failed login.
 */
public final class AuthApi {

    /** Longest e-mail address read (the column's size). */
    private static final int EMAIL_MAX = 320;

    private final SignUps signUps;
    private final Logins logins;
    private final Sessions sessions;
    private final PasswordResets resets;
    private final Accounts accounts;
    private final Throttle throttle;
    private final Csrf csrf;
    private final SessionCookie cookie;
    private final Site site;
    /** Who a request comes from, behind the configured trusted proxies: what attempts per client count against. */
    private final ClientAddress clientAddress;

    public AuthApi(SignUps signUps, Logins logins, Sessions sessions, PasswordResets resets, Accounts accounts, Throttle throttle,
                   Csrf csrf, SessionCookie cookie, Site site, ClientAddress clientAddress) {
        this.clientAddress = clientAddress;
        this.signUps = signUps;
        this.logins = logins;
        this.sessions = sessions;
        this.resets = resets;
        this.accounts = accounts;
        this.throttle = throttle;
        this.csrf = csrf;
        this.cookie = cookie;
        this.site = site;
    }

    /** {@code POST /auth/signup}: 201 whether the address was new (verification mail) or known (its owner is mailed). */
    public void signUp(Request r) {
        csrf.checkOrigin(r.exchange(), false);
        Map<String, Object> body = r.jsonBody();
        signUps.signUp(new SignUps.Request(Params.string(body, "email", true, EMAIL_MAX),
                Params.string(body, "password", true, Passwords.MAX_LENGTH),
                Params.flag(body, "age_confirmed", true, false),
                Params.string(body, "accept_policy_version", false, 64),
                Params.flag(body, "marketing_consent", false, false),
                Params.string(body, "invite_token", false, 100),
                locale(r.exchange())), site.base(r.exchange()));
        r.json(201, status("check your inbox: we sent a link to verify the address; you can log in once it is verified"));
    }

    /** {@code GET|POST /auth/verify-email?token=}: uses the link once. */
    public void verifyEmail(Request r) {
        usingLink(r, "token", () -> signUps.verify(token(r)));
        r.json(200, status("the address is verified; you can log in"));
    }

    /** {@code POST /auth/verify-email/resend {email}}: 202 for any address, once per cool-down. */
    public void resend(Request r) {
        signUps.resend(Params.string(r.jsonBody(), "email", true, EMAIL_MAX), site.base(r.exchange()));
        r.json(202, status("if the address signed up and is not verified yet, a new link is on its way"));
    }

    /** {@code GET|POST /auth/confirm-email?token=}: a change of address takes effect. */
    public void confirmEmail(Request r) {
        Account[] changed = new Account[1];
        usingLink(r, "token", () -> changed[0] = accounts.confirmEmailChange(token(r)));
        r.json(200, Map.of("status", "the account's address is now " + changed[0].email(), "email", changed[0].email()));
    }

    /**
     * Uses a mailed link, counting a bad one against the client ({@code apimodels.auth.login-max-failures-per-ip}),
     * so links cannot be guessed at speed.
     */
    private void usingLink(Request r, String field, Runnable use) {
        throttle.usingLink(ip(r.exchange()), field, use);
    }

    /** {@code POST /auth/login {email, password}}: a new session cookie and its CSRF token. */
    public void login(Request r) {
        Exchange ex = r.exchange();
        csrf.checkOrigin(ex, false);
        Map<String, Object> body = r.jsonBody();
        Sessions.NewSession s = logins.login(Params.string(body, "email", true, EMAIL_MAX),
                Params.string(body, "password", true, Passwords.MAX_LENGTH), ip(ex), ex.header("User-Agent"),
                SessionCookie.read(ex));
        Map<String, Object> out = session(s.session());
        out.put("csrf_token", s.session().csrfToken());
        ex.respond(new Response(200, "application/json", Json.bytes(out),
                Map.of("Set-Cookie", cookie.set(ex, s.cookieValue(), sessions.lifetime()), "Cache-Control", "no-store")));
    }

    /** {@code GET /auth/session}: the session the cookie names, with its CSRF token (for a page loaded afresh). */
    public void currentSession(Request r) {
        Session s = browserSession(r);
        Map<String, Object> out = session(s);
        out.put("csrf_token", s.csrfToken());
        r.exchange().respond(new Response(200, "application/json", Json.bytes(out), Map.of("Cache-Control", "no-store")));
    }

    /** {@code POST /auth/logout}: ends this session and clears the cookie. */
    public void logout(Request r) {
        browserSession(r);
        Exchange ex = r.exchange();
        sessions.end(SessionCookie.read(ex));
        ex.respond(new Response(204, null, null, Map.of("Set-Cookie", cookie.clear(ex))));
    }

    /** {@code POST /auth/reset-password}: {@code {email}} asks for a link (202 for any address); {@code {token, password}} uses it. */
    public void resetPassword(Request r) {
        Map<String, Object> body = r.jsonBody();
        Exchange ex = r.exchange();
        if (body.containsKey("token")) {
            String token = Params.string(body, "token", true, 100);
            String password = Params.string(body, "password", true, Passwords.MAX_LENGTH);
            usingLink(r, "token", () -> resets.reset(token, password));
            r.json(200, status("the password is changed and every session of the account has ended; log in again"));
            return;
        }
        resets.request(Params.string(body, "email", true, EMAIL_MAX), ip(ex), site.base(ex));
        r.json(202, status("if an account has this address, a link to reset its password is on its way"));
    }

    /** {@code GET /api/v1/account/sessions}: the account's live browser sessions. */
    public void listSessions(Request r) {
        Session current = r.caller().session();
        r.json(200, Map.of("object", "list", "data", sessions.live(r.caller().accountId()).stream().map(s -> {
            Map<String, Object> m = session(s);
            m.put("current", current != null && current.id() == s.id());
            return m;
        }).toList()));
    }

    /** {@code POST /api/v1/account/sessions/revoke-all}: logs the account out everywhere (this browser too). */
    public void endAllSessions(Request r) {
        int ended = sessions.endAll(r.caller().accountId());
        Exchange ex = r.exchange();
        Map<String, String> headers = r.caller().session() == null ? Map.of() : Map.of("Set-Cookie", cookie.clear(ex));
        ex.respond(new Response(200, "application/json", Json.bytes(Map.of("ended", ended)), headers));
    }

    /** {@code POST /admin/invites {email?}}: an invitation to sign up (for {@code apimodels.signup.mode=invite}), shown once. */
    public void invite(Request r) {
        String email = Params.string(r.jsonBody(), "email", false, EMAIL_MAX);
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("invite_token", signUps.invite(email));
        out.put("email", email == null ? null : Accounts.normalizeEmail(email));
        out.put("signup_mode", signUps.mode().name().toLowerCase(Locale.ROOT));
        r.json(201, out);
    }

    private static Session browserSession(Request r) {
        Session s = r.caller().session();
        if (s == null) {
            throw ApiException.badRequest("Cookie", "this ends or shows a browser session: send the session cookie, not an API key");
        }
        return s;
    }

    private static Map<String, Object> session(Session s) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", s.id());
        m.put("account_id", s.accountId());
        m.put("created_at", s.createdAt());
        m.put("last_seen_at", s.lastSeenAt());
        m.put("expires_at", s.expiresAt());
        m.put("ip", s.ip());
        m.put("user_agent", s.userAgent());
        return m;
    }

    /** The link's token: from the query (a mailed link opened) or a JSON body's {@code token}. */
    private static String token(Request r) {
        String token = r.exchange().query("token");
        if (token == null && r.exchange().body().length > 0) {
            token = Params.string(r.jsonBody(), "token", false, 100);
        }
        if (token == null || token.isBlank()) {
            throw ApiException.badRequest("token", "token is required: use the link from the mail");
        }
        return token;
    }

    private String ip(Exchange ex) {
        String ip = clientAddress.of(ex);
        return ip == null || ip.isBlank() ? "unknown" : ip;
    }

    /** Chinese mail for people whose browser prefers Chinese; English otherwise. */
    private static Locale locale(Exchange ex) {
        String accept = ex.header("Accept-Language");
        return accept != null && accept.trim().toLowerCase(Locale.ROOT).startsWith("zh") ? Locale.CHINESE : Locale.ENGLISH;
    }

    private static Map<String, Object> status(String text) {
        return Map.of("status", text);
    }
}
