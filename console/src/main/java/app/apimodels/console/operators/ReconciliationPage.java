package app.apimodels.console.operators;

import app.apimodels.core.failure.Failure;
import app.apimodels.core.web.Request;

/** The reconciliation report for a range of UTC days: orders vs gateway events vs ledger transfers, and every mismatch. */
final class ReconciliationPage extends OperatorSection {

    static final String PATH = "/console/admin/reconciliation";
    private static final long DAY = 86_400_000L;
    private static final long MAX_DAYS = 366;

    @Override
    void routes() {
        page("nav.ops.reconciliation", PATH);
        get(PATH, this::report);
    }

    private void report(Request r) {
        long today = Math.floorDiv(services.clock().millis(), DAY) * DAY;
        Long from = Show.day(query(r, "from", 20), "from");
        Long to = Show.day(query(r, "to", 20), "to");
        long start = from == null ? today - DAY : from;
        long end = (to == null ? today : to) + DAY; // the last day is included
        if (end <= start || end - start > MAX_DAYS * DAY) {
            throw Failure.invalid("to", "to must be on or after from, at most " + MAX_DAYS + " days later");
        }
        console.render(r, 200, "operators/reconciliation.jte", "ops.reconciliation.title", model(r,
                "report", services.reconciliation().report(start, end), "from", Show.date(start), "to", Show.date(end - DAY)));
    }
}
