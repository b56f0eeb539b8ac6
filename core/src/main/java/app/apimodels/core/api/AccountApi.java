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

    public AccountApi(Accounts accounts, ApiKeys keys, Ledger ledger, CallLog callLog) {
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

    static KeyOptions options(Map<String, Object> body) {
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
