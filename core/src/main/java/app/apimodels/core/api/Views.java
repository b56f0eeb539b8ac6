package app.apimodels.core.api;

import app.apimodels.core.accounts.Account;
import app.apimodels.core.calllog.CallLog;
import app.apimodels.core.keys.ApiKey;
import app.apimodels.core.ledger.Balance;
import app.apimodels.core.ledger.Transfer;

import java.util.LinkedHashMap;
import java.util.Map;

/** The JSON shapes of accounts, keys, transfers and calls (snake_case, times in epoch ms). */
final class Views {

    private Views() {
    }

    static Map<String, Object> account(Account a, Balance b) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", a.id());
        m.put("email", a.email());
        m.put("role", a.role().dbValue());
        m.put("balance_micros", b.available());
        m.put("held_micros", b.held());
        m.put("created_at", a.createdAt());
        return m;
    }

    static Map<String, Object> key(ApiKey k) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", k.id());
        m.put("name", k.name());
        m.put("prefix", k.prefix());
        m.put("last4", k.last4());
        m.put("created_at", k.createdAt());
        m.put("expires_at", k.expiresAt());
        m.put("allowed_models", k.allowedModels());
        m.put("spend_limit_micros", k.spendLimit());
        m.put("spent_micros", k.spent());
        m.put("revoked_at", k.revokedAt());
        m.put("last_used_at", k.lastUsedAt());
        return m;
    }

    static Map<String, Object> transfer(Transfer t, long walletId) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", t.id());
        m.put("kind", t.kind());
        // Signed from the user's point of view: positive adds to what they can spend.
        m.put("amount_micros", t.creditId() == walletId ? t.amount() : -t.amount());
        m.put("reason", t.reason());
        m.put("hold_id", t.holdId());
        m.put("created_at", t.createdAt());
        return m;
    }

    static Map<String, Object> call(CallLog.Entry e) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", e.id());
        m.put("key_id", e.keyId());
        m.put("endpoint", e.endpoint());
        m.put("model", e.model());
        m.put("stream", e.stream());
        m.put("status", e.status());
        m.put("error", e.error());
        m.put("started_at", e.startedAt());
        m.put("latency_ms", e.latencyMs());
        m.put("input_tokens", e.inputTokens());
        m.put("cached_input_tokens", e.cachedTokens());
        m.put("cache_write_tokens", e.cacheWriteTokens());
        m.put("output_tokens", e.outputTokens());
        m.put("usage_estimated", e.estimated());
        m.put("cost_micros", e.costMicros());
        m.put("uncollected_micros", e.uncollectedMicros());
        return m;
    }

    /** The same columns as {@link #call}, as one CSV line (RFC 4180 quoting). */
    static String csvHeader() {
        return "id,key_id,endpoint,model,stream,status,error,started_at,latency_ms,input_tokens,cached_input_tokens,"
                + "cache_write_tokens,output_tokens,usage_estimated,cost_micros,uncollected_micros\r\n";
    }

    static String csv(CallLog.Entry e) {
        StringBuilder sb = new StringBuilder();
        Object[] cols = {e.id(), e.keyId(), e.endpoint(), e.model(), e.stream(), e.status(), e.error(), e.startedAt(),
                e.latencyMs(), e.inputTokens(), e.cachedTokens(), e.cacheWriteTokens(), e.outputTokens(), e.estimated(), e.costMicros(),
                e.uncollectedMicros()};
        for (int i = 0; i < cols.length; i++) {
            if (i > 0) {
                sb.append(',');
            }
            if (cols[i] != null) {
                String s = cols[i].toString();
                if (s.indexOf(',') >= 0 || s.indexOf('"') >= 0 || s.indexOf('\n') >= 0 || s.indexOf('\r') >= 0) {
                    s = '"' + s.replace("\"", "\"\"") + '"';
                }
                sb.append(s);
            }
        }
        return sb.append("\r\n").toString();
    }
}
