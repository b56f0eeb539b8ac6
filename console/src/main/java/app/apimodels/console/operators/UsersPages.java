package app.apimodels.console.operators;

import app.apimodels.console.Feedback;
import app.apimodels.core.accounts.Account;
import app.apimodels.core.accounts.Accounts;
import app.apimodels.core.accounts.Role;
import app.apimodels.core.billing.Billing;
import app.apimodels.core.calllog.CallLog;
import app.apimodels.core.config.Keys;
import app.apimodels.core.failure.Failure;
import app.apimodels.core.limits.AdminLimit;
import app.apimodels.core.limits.Limit;
import app.apimodels.core.limits.Scope;
import app.apimodels.core.web.Form;
import app.apimodels.core.web.Request;

import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;

/**
 * Users: find them (id, address or name), and one user's page — balance, keys, orders and recent
 * calls — with the operator's changes: grant credits (with a reason, once per form shown: the
 * form carries its own idempotency key), change the role, suspend or lift a suspension, set limits.
 */
final class UsersPages extends OperatorSection {

    static final String LIST = "/console/admin/users";
    private static final int PAGE = 50;

    @Override
    void routes() {
        page("nav.ops.users", LIST);
        get(LIST, this::list);
        get(LIST + "/{id}", r -> show(r, 200, Feedback.EMPTY, null));
        post(LIST + "/{id}/credits", this::grant);
        post(LIST + "/{id}/role", this::role);
        post(LIST + "/{id}/suspension", this::suspension);
        post(LIST + "/{id}/limits", this::limits);
    }

    private void list(Request r) {
        String q = query(r, "q", 320);
        Long cursor = number(r, "cursor");
        List<Accounts.Summary> users = services.accounts().search(q, cursor, PAGE);
        Long next = users.size() == PAGE ? users.get(users.size() - 1).id() : null;
        console.render(r, 200, "operators/users.jte", "ops.users.title", model(r, "q", q == null ? "" : q, "users", users, "next", next));
    }

    /** One user's page; {@code form}: a refused form shown again, {@code which}: the form it was. */
    private void show(Request r, int status, Feedback form, String which) {
        Account a = services.accounts().get(r.id("id"));
        var balance = services.ledger().balance(a);
        var summary = services.accounts().summary(a.id());
        var limits = services.limits().view(Scope.ACCOUNT, a.id());
        var orders = services.billing().search(new Billing.Query(a.id(), null, null, null, null, false, 20));
        services.ledger().flush().join();
        var calls = services.callLog().search(new CallLog.Query(a.id(), null, null, null, null, 20));
        console.render(r, status, "operators/user.jte", "ops.user.title", model(r,
                "user", summary, "balance", balance, "suspension", services.restrictions().suspension(a.id()).orElse(null),
                "keys", services.keys().list(a.id()), "orders", orders, "calls", calls, "limits", limits,
                "form", form, "which", which == null ? "" : which, "grantKey", UUID.randomUUID().toString()));
    }

    private String back(Request r, String done) {
        return LIST + "/" + r.id("id") + "?done=" + done;
    }

    private void grant(Request r) {
        Form f = console.form(r);
        Map<String, String> typed = typed(f, "amount", "reason");
        change(r, typed, () -> {
            Account a = services.accounts().get(r.id("id"));
            Long micros = Show.micros(f.get("amount"), "amount");
            if (micros == null) {
                throw Failure.invalid("amount", "amount is required");
            }
            if (micros > services.settings().get(Keys.ADMIN_MAX_GRANT_MICROS)) {
                throw Failure.invalid("amount", "amount must be at most " + Show.credits(services.settings().get(Keys.ADMIN_MAX_GRANT_MICROS))
                        + " credits");
            }
            String reason = field(f, "reason", 500);
            if (reason == null || reason.isBlank()) {
                throw Failure.invalid("reason", "reason is required: say why the credits are granted");
            }
            // The key came with the form: a form posted twice (a double click, a reload) grants once.
            services.ledger().grant(a, micros, reason.strip(), "console-" + field(f, "idempotency_key", 60));
        }, back(r, "granted"), (status, form) -> show(r, status, form, "grant"));
    }

    private void role(Request r) {
        Form f = console.form(r);
        change(r, typed(f, "role"), () -> {
            String name = field(f, "role", 16);
            Role role;
            try {
                role = Role.valueOf(name == null ? "" : name.toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw Failure.invalid("role", "role must be user or admin");
            }
            services.accounts().changeRole(r.id("id"), role);
            services.keys().invalidateAll(); // a key carries its account's role
        }, back(r, "role"), (status, form) -> show(r, status, form, "role"));
    }

    private void suspension(Request r) {
        Form f = console.form(r);
        change(r, typed(f, "suspension_reason"), () -> {
            boolean suspend = "suspend".equals(f.get("action"));
            String reason = field(f, "suspension_reason", 500);
            services.restrictions().suspend(r.id("id"), suspend, reason == null || reason.isBlank() ? null : reason.strip());
        }, back(r, "suspension"), (status, form) -> show(r, status, form, "suspension"));
    }

    private void limits(Request r) {
        Form f = console.form(r);
        change(r, typed(f, "requests_per_minute", "tokens_per_minute", "concurrent_calls"), () -> {
            AdminLimit limit = new AdminLimit(limit(f, "requests_per_minute"), limit(f, "tokens_per_minute"), limit(f, "concurrent_calls"));
            long id = services.accounts().get(r.id("id")).id();
            services.limits().set(Scope.ACCOUNT, id, limit);
        }, back(r, "limits"), (status, form) -> show(r, status, form, "limits"));
    }

    /** A limit as typed: blank is the configured default, 0 unlimited. */
    private static Long limit(Form f, String name) {
        String v = f.get(name);
        if (v == null || v.isBlank()) {
            return null;
        }
        if (!v.strip().matches("[0-9]{1,10}") || Long.parseLong(v.strip()) > Limit.MAX) {
            throw Failure.invalid(name, name + " must be a whole number from 0 to " + Limit.MAX + " (blank: the default)");
        }
        return Long.parseLong(v.strip());
    }
}
