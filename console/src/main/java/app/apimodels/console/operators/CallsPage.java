package app.apimodels.console.operators;

import app.apimodels.core.calllog.CallLog;
import app.apimodels.core.web.Request;

/** The call log across accounts: by user, model, key and days (UTC). */
final class CallsPage extends OperatorSection {

    static final String PATH = "/console/admin/calls";
    private static final long DAY = 86_400_000L;

    @Override
    void routes() {
        page("nav.ops.calls", PATH);
        get(PATH, this::search);
    }

    private void search(Request r) {
        Long user = number(r, "user");
        Long key = number(r, "key");
        String model = query(r, "model", 200);
        Long from = Show.day(query(r, "from", 20), "from");
        Long to = Show.day(query(r, "to", 20), "to");
        services.ledger().flush().join(); // what this node logged is in the list
        var calls = services.callLog().search(new CallLog.Query(user, from, to == null ? null : to + DAY, model, key, 200));
        console.render(r, 200, "operators/calls.jte", "ops.calls.title", model(r, "calls", calls,
                "user", user == null ? "" : user.toString(), "key", key == null ? "" : key.toString(), "model", model == null ? "" : model,
                "from", from == null ? "" : Show.date(from), "to", to == null ? "" : Show.date(to)));
    }
}
