package app.apimodels.console;

import app.apimodels.core.calllog.CallLog;
import app.apimodels.core.catalog.Catalog;
import app.apimodels.core.web.ApiException;
import app.apimodels.core.web.Request;
import app.apimodels.core.web.Router.Access;
import app.apimodels.core.web.Text;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.LocalDate;
import java.time.format.DateTimeParseException;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The usage log ({@code /console/usage}): the account's calls filtered by day range (UTC), model
 * and key, newest first, and the same selection as CSV from {@code GET /api/v1/account/usage?format=csv}
 * (which the session's cookie opens).
 */
final class UsagePage implements Section {

    static final int ROWS = 200;

    private Console console;

    @Override
    public void install(Console console) {
        this.console = console;
        console.nav(Nav.Area.PEOPLE, "nav.usage", "/console/usage")
                .route("GET", "/console/usage", Access.ACCOUNT, this::show);
    }

    private void show(Request r) {
        var ex = r.exchange();
        long accountId = r.caller().accountId();
        String fromDay = blank(ex.query("from"));
        String toDay = blank(ex.query("to"));
        String modelName = blank(Text.checked("model", ex.query("model"), 200));
        String keyText = blank(ex.query("key"));
        Long from = fromDay == null ? null : day("from", fromDay);
        Long to = toDay == null ? null : day("to", toDay) + 86_400_000L; // the whole last day
        Long key = null;
        if (keyText != null) {
            try {
                key = Long.parseLong(keyText);
            } catch (NumberFormatException e) {
                throw ApiException.badRequest("key", "key must be one of your keys");
            }
        }
        console.services().ledger().flush().join(); // the latest calls' rows are committed first
        List<CallLog.Entry> calls = console.services().callLog().search(new CallLog.Query(accountId, from, to, modelName, key, ROWS));
        Map<String, String> csv = new LinkedHashMap<>();
        csv.put("format", "csv");
        csv.put("limit", "1000");
        if (from != null) {
            csv.put("from", from.toString());
        }
        if (to != null) {
            csv.put("to", to.toString());
        }
        if (modelName != null) {
            csv.put("model", modelName);
        }
        if (key != null) {
            csv.put("key", key.toString());
        }
        Map<String, Object> model = new HashMap<>();
        model.put("calls", calls);
        model.put("total", calls.stream().mapToLong(CallLog.Entry::costMicros).sum());
        model.put("models", console.services().catalog().catalog().models().stream().map(Catalog.Model::id).sorted().toList());
        model.put("keys", console.services().keys().list(accountId));
        model.put("from", fromDay == null ? "" : fromDay);
        model.put("to", toDay == null ? "" : toDay);
        model.put("model", modelName == null ? "" : modelName);
        model.put("key", key == null ? "" : key.toString());
        model.put("csv", "/api/v1/account/usage?" + String.join("&", csv.entrySet().stream()
                .map(e -> e.getKey() + "=" + URLEncoder.encode(e.getValue(), StandardCharsets.UTF_8)).toList()));
        console.render(r, 200, "usage.jte", "usage.title", model);
    }

    private static Long day(String field, String text) {
        try {
            return LocalDate.parse(Text.checked(field, text, 10)).toEpochDay() * 86_400_000L;
        } catch (DateTimeParseException e) {
            throw ApiException.badRequest(field, field + " must be a date (YYYY-MM-DD)");
        }
    }

    private static String blank(String s) {
        return s == null || s.isBlank() ? null : s.trim();
    }
}
