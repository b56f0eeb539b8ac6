package app.apimodels.console.operators;

import app.apimodels.console.Console;
import app.apimodels.console.Feedback;
import app.apimodels.console.Nav;
import app.apimodels.console.Section;
import app.apimodels.core.extension.Services;
import app.apimodels.core.failure.Failure;
import app.apimodels.core.web.ApiException;
import app.apimodels.core.web.FailureMapping;
import app.apimodels.core.web.Form;
import app.apimodels.core.web.Handler;
import app.apimodels.core.web.Request;
import app.apimodels.core.web.Router.Access;
import app.apimodels.core.web.Text;

import java.util.HashMap;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * What every operators' page shares: admin-only routes (anyone else gets the 403 page), the
 * services, and forms that either change something and come back to the page with a note of what
 * was done, or show the page again with the refusal beside the field at fault. The engine checks
 * each form's CSRF token and origin before a handler runs.
 */
abstract class OperatorSection implements Section {

    Console console;
    Services services;

    @Override
    public final void install(Console console) {
        this.console = console;
        this.services = console.services();
        routes();
    }

    /** Adds the section's routes and menu entries. */
    abstract void routes();

    void page(String messageKey, String path) {
        console.nav(Nav.Area.OPERATORS, messageKey, path);
    }

    void get(String path, Handler handler) {
        console.route("GET", path, Access.ADMIN, handler);
    }

    void post(String path, Handler handler) {
        console.route("POST", path, Access.ADMIN, handler);
    }

    /** A page's model: its values and, after a change, the note of what was done ({@code ?done=}). */
    Map<String, Object> model(Request r, Object... keysAndValues) {
        Map<String, Object> m = new HashMap<>();
        for (int i = 0; i < keysAndValues.length; i += 2) {
            m.put((String) keysAndValues[i], keysAndValues[i + 1]);
        }
        String done = r.exchange().query("done");
        String key = "ops.done." + done;
        String text = done == null || !done.matches("[a-z-]{1,30}") ? null : console.messages(r.exchange()).t(key);
        m.put("done", text == null || text.equals(key) ? null : text);
        m.putIfAbsent("form", Feedback.EMPTY);
        return m;
    }

    /** Shows a page again after a refused form, with what was typed and the refusal. */
    interface Again {
        void show(int status, Feedback form);
    }

    /**
     * Runs {@code change} from a form; then 303 to {@code doneTo} (a reload does not post again), or,
     * when the engine refuses it, {@code again} with the refusal beside the field at fault.
     */
    void change(Request r, Map<String, String> typed, Runnable change, String doneTo, Again again) {
        attempt(r, typed, () -> {
            change.run();
            return null;
        }, made -> console.redirect(r, doneTo), again);
    }

    /** Runs {@code action} from a form and hands what it made to {@code done}; a refusal goes to {@code again}. */
    <T> void attempt(Request r, Map<String, String> typed, Supplier<T> action, Consumer<T> done, Again again) {
        T made;
        try {
            made = action.get();
        } catch (Failure | ApiException e) {
            ApiException error = e instanceof Failure f ? FailureMapping.toApi(f) : (ApiException) e;
            if (error.status() >= 500) {
                throw e;
            }
            again.show(error.status(), new Feedback(typed, console.message(r.exchange(), error), error.param()));
            return;
        }
        done.accept(made);
    }

    /** A text field as posted, at most {@code max} characters (400 naming it otherwise); null when absent. */
    static String field(Form f, String name, int max) {
        return Text.checked(name, f.get(name), max);
    }

    /** What was typed, to show again: every field but the CSRF token. */
    static Map<String, String> typed(Form f, String... names) {
        Map<String, String> m = new HashMap<>();
        for (String n : names) {
            String v = f.get(n);
            m.put(n, v == null ? "" : v);
        }
        return m;
    }

    /** A query parameter as a whole number (400 naming it otherwise), null when blank. */
    static Long number(Request r, String name) {
        String raw = r.exchange().query(name);
        if (raw == null || raw.isBlank()) {
            return null;
        }
        if (!raw.strip().matches("-?[0-9]{1,18}")) {
            throw ApiException.badRequest(name, name + " must be a whole number");
        }
        return Long.parseLong(raw.strip());
    }

    static String query(Request r, String name, int max) {
        String v = Text.checked(name, r.exchange().query(name), max);
        return v == null || v.isBlank() ? null : v.strip();
    }
}
