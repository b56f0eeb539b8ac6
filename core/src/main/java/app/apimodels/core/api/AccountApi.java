package app.apimodels.core.api;

import app.apimodels.core.accounts.Account;
import app.apimodels.core.accounts.Accounts;
import app.apimodels.core.calllog.CallLog;
import app.apimodels.core.keys.ApiKeys;
import app.apimodels.core.keys.KeyOptions;
import app.apimodels.core.keys.NewKey;
import app.apimodels.core.ledger.Ledger;
import app.apimodels.core.web.ApiException;
import app.apimodels.core.web.Request;
import app.apimodels.spi.web.Response;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.LocalDate;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** {@code /api/v1/account…}: the caller's own account, usage, ledger and keys. */
public final class AccountApi {

    private final Accounts accounts;
    private final ApiKeys keys;
    private final Ledger ledger;
    private final CallLog callLog;
    private final Clock clock;

    /** The longest range one spend query covers. */
    static final long MAX_SPEND_RANGE_MILLIS = Duration.ofDays(366).toMillis();
    /** UTC offsets reach from −12:00 to +14:00. */
    static final int MAX_UTC_OFFSET_MINUTES = 14 * 60;

    public AccountApi(Accounts accounts, ApiKeys keys, Ledger ledger, CallLog callLog, Clock clock) {
        this.clock = clock;
        this.accounts = accounts;
        this.keys = keys;
        this.ledger = ledger;
        this.callLog = callLog;
    }

    public void account(Request r) {
        Account a = accounts.get(r.caller().accountId());
        r.json(200, Views.account(a, ledger.balance(a))); // read-your-writes: balance() commits this node's queue first
    }

    public void usage(Request r) {
        var ex = r.exchange();
        ledger.flush().join();
        List<CallLog.Entry> rows = callLog.search(new CallLog.Query(r.caller().accountId(),
                Params.queryLong(ex.query("from"), "from"), Params.queryLong(ex.query("to"), "to"), ex.query("model"),
                Params.queryLong(ex.query("key"), "key"), Params.limit(ex.query("limit"))));
        String accept = ex.header("Accept");
        if ("csv".equals(ex.query("format")) || (accept != null && accept.contains("text/csv"))) {
            StringBuilder csv = new StringBuilder(Views.csvHeader());
            rows.forEach(e -> csv.append(Views.csv(e)));
            ex.respond(new Response(200, "text/csv; charset=utf-8", csv.toString().getBytes(StandardCharsets.UTF_8),
                    Map.of("Content-Disposition", "attachment; filename=\"usage.csv\"")));
            return;
        }
        long total = rows.stream().mapToLong(CallLog.Entry::costMicros).sum();
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("object", "list");
        body.put("data", rows.stream().map(Views::call).toList());
        body.put("total_cost_micros", total);
        r.json(200, body);
    }

    /**
     * {@code GET /api/v1/account/spend}: calls and cost per day and model over {@code from}–{@code to}
     * (epoch ms; default the last 30 days), days cut at the caller's {@code utc_offset_minutes}.
     */
    public void spend(Request r) {
        var ex = r.exchange();
        Long to = Params.queryLong(ex.query("to"), "to");
        Long from = Params.queryLong(ex.query("from"), "from");
        Long offset = Params.queryLong(ex.query("utc_offset_minutes"), "utc_offset_minutes");
        long end = to == null ? clock.millis() : to;
        long start = from == null ? end - Duration.ofDays(30).toMillis() : from;
        if (end < 0 || end > Limits.MAX_EPOCH_MILLIS) {
            throw ApiException.badRequest("to", "to must be a time in epoch milliseconds");
        }
        if (start < 0 || start > end) {
            throw ApiException.badRequest("from", "from must be a time in epoch milliseconds, not after to");
        }
        if (end - start > MAX_SPEND_RANGE_MILLIS) {
            throw ApiException.badRequest("from", "from and to may be at most 366 days apart");
        }
        if (offset != null && Math.abs(offset) > MAX_UTC_OFFSET_MINUTES) {
            throw ApiException.badRequest("utc_offset_minutes", "utc_offset_minutes must be between -840 and 840");
        }
        int minutes = offset == null ? 0 : offset.intValue();
        ledger.flush().join();
        List<CallLog.DailySpend> rows = callLog.spendPerDay(r.caller().accountId(), start, end, minutes);
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("object", "list");
        body.put("from", start);
        body.put("to", end);
        body.put("utc_offset_minutes", minutes);
        body.put("data", rows.stream().map(d -> {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("date", LocalDate.ofEpochDay(d.day()).toString());
            m.put("model", d.model());
            m.put("calls", d.calls());
            m.put("cost_micros", d.costMicros());
            return m;
        }).toList());
        body.put("total_cost_micros", rows.stream().mapToLong(CallLog.DailySpend::costMicros).sum());
        r.json(200, body);
    }

    public void ledger(Request r) {
        Account a = accounts.get(r.caller().accountId());
        ledger.flush().join();
        var ex = r.exchange();
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("object", "list");
        body.put("data", ledger.history(a, Params.limit(ex.query("limit")), Params.queryLong(ex.query("before"), "before"))
                .stream().map(t -> Views.transfer(t, a.walletId())).toList());
        r.json(200, body);
    }

    public void listKeys(Request r) {
        r.json(200, Map.of("object", "list", "data", keys.list(r.caller().accountId()).stream().map(Views::key).toList()));
    }

    public void createKey(Request r) {
        r.json(201, created(keys.create(r.caller().accountId(), options(r.jsonBody()))));
    }

    public void revokeKey(Request r) {
        keys.revoke(r.caller().accountId(), r.id("id"));
        r.exchange().respond(new Response(204, null, null));
    }

    /** A key's options from a request's fields, checked (400 naming the field); the console's form uses the same rules. */
    public static KeyOptions options(Map<String, Object> body) {
        String name = Params.string(body, "name", false, 200);
        Set<String> models = Params.strings(body, "allowed_models", 100, 200);
        if (String.join(",", models).length() > 4000) {
            throw ApiException.badRequest("allowed_models", "allowed_models must list at most 4000 characters of model ids");
        }
        return new KeyOptions(name == null ? "default" : name, Params.whole(body, "expires_at", false, 0, Limits.MAX_EPOCH_MILLIS),
                models, Params.whole(body, "spend_limit_micros", false, 0, Limits.MAX_MICROS));
    }

    static Map<String, Object> created(NewKey k) {
        Map<String, Object> m = Views.key(k.key());
        m.put("key", k.secret());
        return m;
    }
}
