package app.apimodels.console;

import app.apimodels.core.accounts.SignUps;
import app.apimodels.core.extension.Services;
import app.apimodels.core.failure.Failure;
import app.apimodels.core.accounts.Passwords;
import app.apimodels.core.sessions.SessionCookie;
import app.apimodels.core.sessions.Sessions;
import app.apimodels.core.web.ApiException;
import app.apimodels.core.web.FailureMapping;
import app.apimodels.core.web.Form;
import app.apimodels.core.web.Request;
import app.apimodels.core.web.Router.Access;
import app.apimodels.core.web.Text;
import app.apimodels.spi.web.Exchange;

import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * Signing up (18+, the policy in force accepted), verifying the address by the mailed link, logging
 * in and out, and resetting a forgotten password by the mailed link — the same services and rules
 * as {@code /auth/…}, as pages that work without script. Forms post back to their own page; a
 * refused one is shown again with the message beside the field at fault.
 */
final class AuthPages implements Section {

    static final String VERIFY = "/console/verify";
    static final String RESET = "/console/reset-password";
    static final String CONFIRM_EMAIL = "/console/confirm-email";
    private static final int EMAIL_MAX = 320;
    private static final int PASSWORD_MAX = Passwords.MAX_LENGTH;
    private static final int TOKEN_MAX = 100;

    private Console console;
    private Services services;

    @Override
    public void install(Console console) {
        this.console = console;
        this.services = console.services();
        console.route("GET", "/console/signup", Access.PUBLIC, r -> signUpForm(r, 200, Feedback.EMPTY))
                .route("POST", "/console/signup", Access.PUBLIC, this::signUp)
                .route("GET", VERIFY, Access.PUBLIC, r -> linkForm(r, 200, "verify", VERIFY, token(r.exchange().query("token")), null))
                .route("POST", VERIFY, Access.PUBLIC, r -> useLink(r, "verify", VERIFY, token -> services.signUps().verify(token)))
                .route("GET", CONFIRM_EMAIL, Access.PUBLIC, r -> linkForm(r, 200, "confirm", CONFIRM_EMAIL,
                        token(r.exchange().query("token")), null))
                .route("POST", CONFIRM_EMAIL, Access.PUBLIC, r -> useLink(r, "confirm", CONFIRM_EMAIL,
                        token -> services.accounts().confirmEmailChange(token)))
                .route("GET", "/console/login", Access.PUBLIC, r -> loginForm(r, 200,
                        new Feedback(Map.of("next", Next.safe(r.exchange().query("next"))), null, null)))
                .route("POST", "/console/login", Access.PUBLIC, this::login)
                .route("POST", "/console/logout", Access.ACCOUNT, this::logout)
                .route("GET", "/console/forgot-password", Access.PUBLIC, r -> console.render(r, 200, "forgot.jte", "forgot.title",
                        Map.of("form", Feedback.EMPTY)))
                .route("POST", "/console/forgot-password", Access.PUBLIC, this::forgot)
                .route("GET", RESET, Access.PUBLIC, r -> console.render(r, 200, "reset.jte", "reset.title",
                        Map.of("token", token(r.exchange().query("token")), "form", Feedback.EMPTY)))
                .route("POST", RESET, Access.PUBLIC, this::reset);
    }

    private void signUpForm(Request r, int status, Feedback form) {
        Map<String, Object> model = new HashMap<>();
        model.put("form", form);
        model.put("policy", services.policies().toAccept());
        model.put("inviteOnly", services.signUps().mode() == SignUps.Mode.INVITE);
        console.render(r, status, "signup.jte", "signup.title", model);
    }

    private void signUp(Request r) {
        Form f = ownForm(r);
        String email = field(f, "email", EMAIL_MAX);
        Map<String, String> typed = new HashMap<>();
        typed.put("email", email == null ? "" : email);
        typed.put("invite_token", f.get("invite_token") == null ? "" : f.get("invite_token"));
        try {
            Messages m = console.messages(r.exchange());
            services.signUps().signUp(new SignUps.Request(email, field(f, "password", PASSWORD_MAX), f.get("age_confirmed") != null,
                    field(f, "accept_policy_version", 64), f.get("marketing_consent") != null, field(f, "invite_token", TOKEN_MAX),
                    m.locale()), services.site().base(r.exchange()));
        } catch (Failure | ApiException e) {
            ApiException error = asApi(e);
            signUpForm(r, error.status(), new Feedback(typed, message(r, error), error.param()));
            return;
        }
        notice(r, "signup.done.title", "signup.done.text");
    }

    /** A mailed one-time link's page: one button (a mail scanner that opens the link uses nothing up); {@code kind} names its words. */
    private void linkForm(Request r, int status, String kind, String action, String token, String error) {
        Map<String, Object> model = new HashMap<>();
        model.put("token", token);
        model.put("error", error);
        model.put("action", action);
        model.put("lead", kind + ".text");
        model.put("submit", kind + ".submit");
        console.render(r, status, "verify.jte", kind + ".title", model);
    }

    /** Uses the posted link's token once, a bad one counting against the client; the page again, saying why, on a refusal. */
    private void useLink(Request r, String kind, String action, Consumer<String> use) {
        Form f = ownForm(r);
        String token = token(f.get("token"));
        try {
            services.throttle().usingLink(ip(r.exchange()), "token", () -> use.accept(token));
        } catch (Failure | ApiException e) {
            ApiException error = asApi(e);
            linkForm(r, error.status(), kind, action, token, message(r, error));
            return;
        }
        notice(r, kind + ".done.title", kind + ".done.text");
    }

    private void loginForm(Request r, int status, Feedback form) {
        console.render(r, status, "login.jte", "login.title", Map.of("form", form));
    }

    private void login(Request r) {
        Exchange ex = r.exchange();
        Form f = ownForm(r);
        String email = field(f, "email", EMAIL_MAX);
        String next = Next.safe(f.get("next"));
        Sessions.NewSession s;
        try {
            s = services.logins().login(email, field(f, "password", PASSWORD_MAX), ip(ex), ex.header("User-Agent"),
                    SessionCookie.read(ex));
        } catch (Failure | ApiException e) {
            ApiException error = asApi(e);
            Map<String, String> typed = new HashMap<>();
            typed.put("email", email == null ? "" : email);
            typed.put("next", next);
            loginForm(r, error.status(), new Feedback(typed, message(r, error), error.param()));
            return;
        }
        console.redirect(ex, next, Map.of("Set-Cookie", services.sessionCookie().set(ex, s.cookieValue(), services.sessions().lifetime())));
    }

    private void logout(Request r) {
        Exchange ex = r.exchange();
        services.sessions().end(SessionCookie.read(ex));
        console.redirect(ex, "/console/login", Map.of("Set-Cookie", services.sessionCookie().clear(ex)));
    }

    private void forgot(Request r) {
        Form f = ownForm(r);
        String email = field(f, "email", EMAIL_MAX);
        try {
            services.passwordResets().request(email, ip(r.exchange()), services.site().base(r.exchange()));
        } catch (Failure | ApiException e) {
            ApiException error = asApi(e);
            console.render(r, error.status(), "forgot.jte", "forgot.title",
                    Map.of("form", new Feedback(Map.of("email", email == null ? "" : email), message(r, error), error.param())));
            return;
        }
        notice(r, "forgot.done.title", "forgot.done.text");
    }

    private void reset(Request r) {
        Form f = ownForm(r);
        String token = token(f.get("token"));
        String password = field(f, "password", PASSWORD_MAX);
        try {
            services.throttle().usingLink(ip(r.exchange()), "token", () -> services.passwordResets().reset(token, password));
        } catch (Failure | ApiException e) {
            ApiException error = asApi(e);
            console.render(r, error.status(), "reset.jte", "reset.title",
                    Map.of("token", token, "form", new Feedback(Map.of(), message(r, error), error.param())));
            return;
        }
        notice(r, "reset.done.title", "reset.done.text");
    }

    /** A short page saying what happened, with the way on (to log in). */
    private void notice(Request r, String titleKey, String textKey) {
        console.render(r, 200, "notice.jte", titleKey, Map.of("text", console.messages(r.exchange()).t(textKey)));
    }

    /** The posted form, from one of our own pages: a form posted from another site is refused (403). */
    private Form ownForm(Request r) {
        services.csrf().checkOrigin(r.exchange(), true);
        return console.form(r);
    }

    /** A text field, held to the length its column takes and free of NULs (400 naming it otherwise). */
    private static String field(Form f, String name, int max) {
        return Text.checked(name, f.get(name), max);
    }

    private static String token(String token) {
        return Optional.ofNullable(Text.checked("token", token, TOKEN_MAX)).orElse("");
    }

    private String ip(Exchange ex) {
        String ip = services.clientAddress().of(ex);
        return ip == null || ip.isBlank() ? "unknown" : ip;
    }

    /** A service's failure or the web layer's refusal, as the web layer would answer it. */
    static ApiException asApi(RuntimeException e) {
        return e instanceof Failure f ? FailureMapping.toApi(f) : (ApiException) e;
    }

    private String message(Request r, ApiException error) {
        return console.message(r.exchange(), error);
    }
}
