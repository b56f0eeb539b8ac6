package app.apimodels.console;

import app.apimodels.core.api.AccountApi;
import app.apimodels.core.catalog.Catalog;
import app.apimodels.core.failure.Failure;
import app.apimodels.core.keys.NewKey;
import app.apimodels.core.web.ApiException;
import app.apimodels.core.web.Form;
import app.apimodels.core.web.Request;
import app.apimodels.core.web.Router.Access;
import app.apimodels.core.web.Text;

import java.time.LocalDate;
import java.time.format.DateTimeParseException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * API keys ({@code /console/keys}): the account's keys with their limits, a form to create one —
 * name, expiry date, the models it may call, a spend limit — whose secret is shown once, and revoking.
 * The key's rules are the JSON API's ({@link AccountApi#options}).
 */
final class KeysPage implements Section {

    private Console console;

    @Override
    public void install(Console console) {
        this.console = console;
        console.nav(Nav.Area.PEOPLE, "nav.keys", "/console/keys")
                .route("GET", "/console/keys", Access.ACCOUNT, r -> show(r, 200, null, Feedback.EMPTY))
                .route("POST", "/console/keys", Access.ACCOUNT, this::create)
                .route("POST", "/console/keys/{id}/revoke", Access.ACCOUNT, r -> {
                    console.services().keys().revoke(r.caller().accountId(), r.id("id")); // 404 for another's key
                    console.redirect(r, "/console/keys");
                });
    }

    private void show(Request r, int status, NewKey created, Feedback form) {
        Map<String, Object> model = new HashMap<>();
        model.put("keys", console.services().keys().list(r.caller().accountId()));
        model.put("models", console.services().catalog().catalog().models().stream().map(Catalog.Model::id).sorted().toList());
        model.put("created", created);
        model.put("form", form);
        console.render(r, status, "keys.jte", "keys.title", model);
    }

    private void create(Request r) {
        Form f = console.form(r);
        Map<String, String> typed = new HashMap<>();
        for (String name : List.of("name", "expires_on", "spend_limit")) {
            typed.put(name, f.get(name) == null ? "" : f.get(name));
        }
        NewKey created;
        try {
            Map<String, Object> body = new HashMap<>();
            body.put("name", Text.checked("name", blankToNull(f.get("name")), 200));
            body.put("expires_at", expiry(f.get("expires_on")));
            body.put("allowed_models", f.all("allowed_models"));
            body.put("spend_limit_micros", Format.micros("spend_limit", f.get("spend_limit")));
            created = console.services().keys().create(r.caller().accountId(), AccountApi.options(body));
        } catch (Failure | ApiException e) {
            ApiException error = AuthPages.asApi(e);
            show(r, error.status(), null, new Feedback(typed, console.message(r.exchange(), error), field(error.param())));
            return;
        }
        show(r, 201, created, Feedback.EMPTY);
    }

    /** The JSON fields named in a refusal, as the form's fields. */
    private static String field(String param) {
        if (param == null) {
            return null;
        }
        return switch (param) {
            case "expires_at" -> "expires_on";
            case "spend_limit_micros" -> "spend_limit";
            default -> param;
        };
    }

    /** A date (the end of that day, UTC) → epoch ms; empty for none. */
    private static Long expiry(String date) {
        String d = blankToNull(date);
        if (d == null) {
            return null;
        }
        try {
            return (LocalDate.parse(Text.checked("expires_on", d, 10)).toEpochDay() + 1) * 86_400_000L - 1;
        } catch (DateTimeParseException e) {
            throw ApiException.badRequest("expires_on", "expires_on must be a date (YYYY-MM-DD)");
        }
    }

    private static String blankToNull(String s) {
        return s == null || s.isBlank() ? null : s.trim();
    }
}
