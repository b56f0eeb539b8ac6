package app.apimodels.console;

import app.apimodels.core.extension.Services;
import app.apimodels.core.failure.Failure;
import app.apimodels.core.privacy.Erasure;
import app.apimodels.core.privacy.Profiles;
import app.apimodels.core.sessions.SessionCookie;
import app.apimodels.core.web.ApiException;
import app.apimodels.core.web.Form;
import app.apimodels.core.web.Request;
import app.apimodels.core.web.Router.Access;
import app.apimodels.core.web.Text;
import app.apimodels.spi.web.Exchange;

import java.util.HashMap;
import java.util.Map;

/**
 * Account and privacy ({@code /console/account}): the profile and its correction (name; the address
 * through a link mailed to the new one, as {@code PATCH /api/v1/account} does), marketing
 * mail (consent or objection), restricting processing, accepting the policy in force, the export
 * download ({@code GET /api/v1/account/export}), and deleting the account with its password —
 * the privacy services the JSON API uses, each change recorded as a privacy request.
 */
final class AccountPage implements Section {

    private static final int EMAIL_MAX = 320;

    private Console console;

    @Override
    public void install(Console console) {
        this.console = console;
        console.nav(Nav.Area.PEOPLE, "nav.account", "/console/account")
                .route("GET", "/console/account", Access.ACCOUNT, r -> show(r, 200, Feedback.EMPTY, null))
                .route("POST", "/console/account/profile", Access.ACCOUNT, r -> change(r, f -> {
                    String name = Text.checked("name", f.get("name"), Profiles.MAX_NAME);
                    boolean clear = name == null || name.isBlank();
                    console.services().profiles().change(r.caller().accountId(),
                            new Profiles.Change(true, clear ? null : name.trim(), null, false, null));
                    return "account.saved";
                }))
                .route("POST", "/console/account/email", Access.ACCOUNT, this::changeEmail)
                .route("POST", "/console/account/marketing", Access.ACCOUNT, r -> change(r, f -> {
                    console.services().profiles().change(r.caller().accountId(),
                            new Profiles.Change(false, null, f.get("marketing_consent") != null, false, null));
                    return "account.saved";
                }))
                .route("POST", "/console/account/restriction", Access.ACCOUNT, r -> change(r, f -> {
                    console.services().restrictions().set(r.caller().accountId(), "true".equals(f.get("restricted")));
                    return "account.saved";
                }))
                .route("POST", "/console/account/policy", Access.ACCOUNT, r -> change(r, f -> {
                    console.services().policies().accept(r.caller().accountId(), Text.checked("version", f.get("version"), 64));
                    return "account.accepted";
                }))
                .route("POST", "/console/account/delete", Access.ACCOUNT, this::delete)
                .route("GET", "/console/account/deleted", Access.PUBLIC, r -> console.render(r, 200, "notice.jte", "account.deleted.title",
                        Map.of("text", console.messages(r.exchange()).t("account.deleted.text"))));
    }

    private interface Change {
        String apply(Form form);
    }

    /** Applies a change and shows the page again saying so, or with the refusal beside its field. */
    private void change(Request r, Change change) {
        Form f = console.form(r);
        String done;
        try {
            done = change.apply(f);
        } catch (Failure | ApiException e) {
            ApiException error = AuthPages.asApi(e);
            show(r, error.status(), new Feedback(Map.of(), console.message(r.exchange(), error), error.param()), null);
            return;
        }
        show(r, 200, Feedback.EMPTY, console.messages(r.exchange()).t(done));
    }

    private void show(Request r, int status, Feedback form, String done) {
        Services s = console.services();
        long accountId = r.caller().accountId();
        Map<String, Object> model = new HashMap<>();
        model.put("profile", s.profiles().get(accountId));
        model.put("policy", s.policies().toAccept().orElse(null));
        model.put("accepted", s.policies().acceptedBy(accountId).orElse(null));
        model.put("form", form);
        model.put("done", done);
        console.render(r, status, "account.jte", "account.title", model);
    }

    /** Mails a link to the new address; the address changes when it is followed ({@link AuthPages}). */
    private void changeEmail(Request r) {
        Form f = console.form(r);
        String email = f.get("new_email");
        try {
            console.services().emailChange().request(r.caller().accountId(), Text.checked("new_email", email, EMAIL_MAX),
                    r.exchange().baseUrl());
        } catch (Failure | ApiException e) {
            // The only field of this form: the service names it "email", the page "new_email" (the address shown is "email").
            ApiException error = AuthPages.asApi(e);
            show(r, error.status(), new Feedback(Map.of("new_email", email == null ? "" : email),
                    console.message(r.exchange(), error), "new_email"), null);
            return;
        }
        show(r, 200, Feedback.EMPTY, console.messages(r.exchange()).t("account.email.sent", email.trim()));
    }

    /** Erasure, confirmed by the password; the browser's session ends with it. */
    private void delete(Request r) {
        Exchange ex = r.exchange();
        Form f = console.form(r);
        try {
            console.services().erasure().erase(r.caller().accountId(),
                    new Erasure.Confirmation(Text.checked("password", f.get("password"), 1024), null));
        } catch (Failure | ApiException e) {
            ApiException error = AuthPages.asApi(e);
            show(r, error.status(), new Feedback(Map.of(), console.message(ex, error), "password"), null);
            return;
        }
        console.services().sessions().end(SessionCookie.read(ex));
        console.redirect(ex, "/console/account/deleted", Map.of("Set-Cookie", console.services().sessionCookie().clear(ex)));
    }
}
