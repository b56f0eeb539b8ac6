package app.apimodels.console;

import app.apimodels.core.accounts.Account;
import app.apimodels.core.calllog.CallLog;
import app.apimodels.core.extension.Services;
import app.apimodels.core.ledger.Balance;
import app.apimodels.core.web.Request;
import app.apimodels.core.web.Router.Access;

import java.time.LocalDate;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The signed-in person's home page ({@code /console/}): balance and held credits, what was spent
 * per day and model over the last 30 days (a uPlot chart drawn by {@code console.js} from the
 * table's data, which stays on the page for screen readers and without script), and the latest calls.
 */
final class Dashboard implements Section {

    static final int DAYS = 30;
    static final int RECENT = 10;

    @Override
    public void install(Console console) {
        console.nav(Nav.Area.PEOPLE, "nav.dashboard", "/console/")
                .route("GET", "/console/", Access.ACCOUNT, r -> show(console, r));
    }

    private static void show(Console console, Request r) {
        Services s = console.services();
        long accountId = r.caller().accountId();
        Account account = s.accounts().get(accountId);
        Balance balance = s.ledger().balance(account); // commits this node's pending settlements first
        long now = s.clock().millis();
        long from = LocalDate.ofEpochDay(now / 86_400_000L - (DAYS - 1)).toEpochDay() * 86_400_000L;
        List<CallLog.DailySpend> spend = s.callLog().spendPerDay(accountId, from, now + 1, 0);
        Map<String, Object> model = new LinkedHashMap<>();
        model.put("balance", balance);
        model.put("chart", SpendChart.of(spend, from / 86_400_000L, DAYS));
        model.put("total", spend.stream().mapToLong(CallLog.DailySpend::costMicros).sum());
        model.put("recent", s.callLog().search(new CallLog.Query(accountId, null, null, null, null, RECENT)));
        console.render(r, 200, "dashboard.jte", "dashboard.title", model);
    }
}
