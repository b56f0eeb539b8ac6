package app.apimodels.console.operators;

import app.apimodels.console.Feedback;
import app.apimodels.core.failure.Failure;
import app.apimodels.core.web.Form;
import app.apimodels.core.web.Request;

import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;

/**
 * Policy versions — the list (which is in force) and publishing one, which mails a notice to every
 * verified account — and announcements, mailed to the people who agreed to news.
 */
final class PolicyPages extends OperatorSection {

    static final String PATH = "/console/admin/policies";

    @Override
    void routes() {
        page("nav.ops.policies", PATH);
        get(PATH, r -> list(r, 200, Feedback.EMPTY));
        post(PATH, this::publish);
        post(PATH + "/announcements", this::announce);
    }

    private void list(Request r, int status, Feedback form) {
        console.render(r, status, "operators/policies.jte", "ops.policies.title", model(r, "policies", services.policies().list(),
                "inForce", services.policies().inForce().map(p -> p.version()).orElse(""), "form", form));
    }

    private void publish(Request r) {
        Form f = console.form(r);
        change(r, typed(f, "version", "effective", "summary", "url"), () -> {
            String version = field(f, "version", 64);
            long effective;
            try {
                effective = LocalDateTime.parse(f.get("effective") == null ? "" : f.get("effective").strip())
                        .toInstant(ZoneOffset.UTC).toEpochMilli();
            } catch (DateTimeParseException e) {
                throw Failure.invalid("effective", "effective must be a date and time (UTC)");
            }
            String summary = field(f, "summary", 2000);
            String url = field(f, "url", 2000);
            services.policies().publish(version == null ? "" : version.strip(), effective, blankToNull(summary), blankToNull(url),
                    services.site().base(r.exchange()) + "/auth/policy");
        }, PATH + "?done=published", (status, form) -> list(r, status, form));
    }

    private void announce(Request r) {
        Form f = console.form(r);
        change(r, typed(f, "subject", "body"), () -> services.announcements().send(field(f, "subject", 200), field(f, "body", 20_000)),
                PATH + "?done=announced", (status, form) -> list(r, status, form));
    }

    private static String blankToNull(String s) {
        return s == null || s.isBlank() ? null : s.strip();
    }
}
