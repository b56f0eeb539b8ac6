package app.apimodels.core.api;

import app.apimodels.core.accounts.Accounts;
import app.apimodels.core.keys.ApiKeys;
import app.apimodels.core.limits.AbuseLimits;
import app.apimodels.core.limits.AdminLimit;
import app.apimodels.core.limits.Limit;
import app.apimodels.core.limits.Scope;
import app.apimodels.core.web.ApiException;
import app.apimodels.core.web.Request;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * {@code GET|PUT /admin/users/{id}/limits} and {@code GET|PUT /admin/keys/{id}/limits}: an
 * account's or key's own abuse limits. A field left out or null keeps the configured default,
 * {@code 0} is unlimited; a PUT replaces all three.
 */
public final class LimitsApi {

    private final AbuseLimits limits;
    private final Accounts accounts;
    private final ApiKeys keys;

    public LimitsApi(AbuseLimits limits, Accounts accounts, ApiKeys keys) {
        this.limits = limits;
        this.accounts = accounts;
        this.keys = keys;
    }

    public void getAccount(Request r) {
        answer(r, Scope.ACCOUNT, account(r), false);
    }

    public void putAccount(Request r) {
        answer(r, Scope.ACCOUNT, account(r), true);
    }

    public void getKey(Request r) {
        answer(r, Scope.KEY, key(r), false);
    }

    public void putKey(Request r) {
        answer(r, Scope.KEY, key(r), true);
    }

    private void answer(Request r, Scope scope, long id, boolean put) {
        r.json(200, view(scope, id, put ? limits.set(scope, id, parse(r.jsonBody())) : limits.view(scope, id)));
    }

    private long account(Request r) {
        return accounts.get(r.id("id")).id();
    }

    private long key(Request r) {
        long id = r.id("id");
        keys.find(id).orElseThrow(() -> ApiException.notFound("key"));
        return id;
    }

    private static AdminLimit parse(Map<String, Object> body) {
        return new AdminLimit(Params.whole(body, "requests_per_minute", false, 0, Limit.MAX),
                Params.whole(body, "tokens_per_minute", false, 0, Limit.MAX),
                Params.whole(body, "concurrent_calls", false, 0, Limit.MAX));
    }

    private static Map<String, Object> view(Scope scope, long id, AbuseLimits.View v) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("scope", scope.dbValue());
        out.put("id", id);
        out.put("requests_per_minute", v.set().requestsPerMinute());
        out.put("tokens_per_minute", v.set().tokensPerMinute());
        out.put("concurrent_calls", v.set().concurrentCalls());
        Map<String, Object> effective = new LinkedHashMap<>();
        effective.put("requests_per_minute", v.effective().requestsPerMinute());
        effective.put("tokens_per_minute", v.effective().tokensPerMinute());
        effective.put("concurrent_calls", v.effective().concurrentCalls());
        out.put("effective", effective);
        return out;
    }
}
