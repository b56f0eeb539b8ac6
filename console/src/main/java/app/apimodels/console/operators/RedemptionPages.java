package app.apimodels.console.operators;

import app.apimodels.console.Feedback;
import app.apimodels.core.config.Keys;
import app.apimodels.core.failure.Failure;
import app.apimodels.core.redemption.Redemptions;
import app.apimodels.core.web.Form;
import app.apimodels.core.web.Request;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.stream.Collectors;

/**
 * Redemption batches: make one (its codes shown this once, with a CSV download made in the page,
 * since only their hashes are kept), list them with their codes' states, disable a batch's unused codes.
 */
final class RedemptionPages extends OperatorSection {

    static final String LIST = "/console/admin/redemption";

    @Override
    void routes() {
        page("nav.ops.redemption", LIST);
        get(LIST, r -> list(r, 200, Feedback.EMPTY, null));
        post(LIST, this::create);
        post(LIST + "/{id}/disable", r -> {
            services.redemptions().disable(r.id("id"));
            console.redirect(r, LIST + "?done=disabled");
        });
    }

    /** @param created a batch just made, whose codes are shown this once; null otherwise */
    private void list(Request r, int status, Feedback form, Redemptions.NewBatch created) {
        String csv = created == null ? null : "data:text/csv;charset=utf-8," + URLEncoder.encode("code\n"
                + created.codes().stream().map(Redemptions.Issued::code).collect(Collectors.joining("\n")) + "\n", StandardCharsets.UTF_8)
                .replace("+", "%20");
        console.render(r, status, "operators/redemption.jte", "ops.redemption.title", model(r,
                "batches", services.redemptions().list(100, null), "form", form, "created", created, "csv", csv));
    }

    private void create(Request r) {
        Form f = console.form(r);
        var typed = typed(f, "count", "amount", "expires", "note");
        attempt(r, typed, () -> {
            int max = services.settings().get(Keys.REDEMPTION_MAX_CODES);
            String countText = f.get("count") == null ? "" : f.get("count").strip();
            if (!countText.matches("[0-9]{1,7}") || Integer.parseInt(countText) < 1 || Integer.parseInt(countText) > max) {
                throw Failure.invalid("count", "count must be a whole number from 1 to " + max);
            }
            Long amount = Show.micros(f.get("amount"), "amount");
            long maxAmount = services.settings().get(Keys.REDEMPTION_MAX_AMOUNT);
            if (amount == null || amount > maxAmount) {
                throw Failure.invalid("amount", "amount must be a positive number of credits, at most " + Show.credits(maxAmount));
            }
            Long expires = Show.day(f.get("expires"), "expires");
            String note = field(f, "note", 500);
            return services.redemptions().create(r.caller().accountId(), Integer.parseInt(countText), amount,
                    expires == null ? null : expires + 86_400_000L, note == null || note.isBlank() ? null : note.strip());
        }, made -> list(r, 201, Feedback.EMPTY, made), // not a redirect: the codes exist only in this answer (never cached)
                (status, form) -> list(r, status, form, null));
    }
}
