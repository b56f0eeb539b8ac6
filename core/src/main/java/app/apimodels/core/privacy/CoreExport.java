package app.apimodels.core.privacy;

import app.apimodels.core.media.MediaLinks;

import java.util.List;

/**
 * The export sections for what the engine itself holds: the account and its consents, API keys
 * (masked: prefix and last four only), tasks with their prompts, stored files with signed links,
 * browser sessions (where sign-in is installed), the privacy requests, and as CSV the ledger
 * transfers of the account's own ledger accounts, the call log and (where billing is installed)
 * orders. Upstream providers and routes are the operator's business and are left out.
 */
public final class CoreExport {

    private CoreExport() {
    }

    /** @param links signs the links to stored files (valid for {@code apimodels.media.link-ttl-seconds}) */
    public static List<ExportSection> sections(MediaLinks links) {
        return List.of(CoreExport::account, CoreExport::consents, CoreExport::keys, CoreExport::tasks,
                a -> media(a, links), CoreExport::sessions, CoreExport::privacyRequests, CoreExport::ledger, CoreExport::usage, CoreExport::orders);
    }

    static void account(ExportArchive a) throws Exception {
        a.jsonObject("account.json", """
                SELECT a.id, a.email, a.name, a.role, a.created_at, a.marketing_consent, a.low_balance_threshold_micros,
                       a.restricted_at, w.balance AS balance_micros, h.balance AS held_micros
                FROM apimodels_account a
                JOIN apimodels_ledger_account w ON w.id = ?
                JOIN apimodels_ledger_account h ON h.id = ?
                WHERE a.id = ?""", a.walletId(), a.holdId(), a.accountId());
    }

    static void consents(ExportArchive a) throws Exception {
        a.jsonRows("consents.json", """
                SELECT kind, version, granted, created_at FROM apimodels_consent
                WHERE account_id = ? ORDER BY created_at, id""", a.accountId());
    }

    static void keys(ExportArchive a) throws Exception {
        a.jsonRows("keys.json", """
                SELECT id, name, prefix || '...' || last4 AS key_masked, created_at, expires_at, allowed_models,
                       spend_limit AS spend_limit_micros, spent AS spent_micros, revoked_at, last_used_at
                FROM apimodels_api_key WHERE account_id = ? ORDER BY id""", a.accountId());
    }

    static void tasks(ExportArchive a) throws Exception {
        a.jsonRows("tasks.json", """
                SELECT id, kind, model, state, input, callback_url, cost_micros, fail_msg, result_ids, created_at, completed_at
                FROM apimodels_task WHERE account_id = ? ORDER BY created_at, id""", a.accountId());
    }

    static void media(ExportArchive a, MediaLinks links) throws Exception {
        a.json("files.json", g -> {
            g.writeStartArray();
            a.query("""
                    SELECT id, kind, file_name, content_type, size, sha256, task_id, created_at, expires_at
                    FROM apimodels_media_object WHERE account_id = ? AND deleted_at IS NULL ORDER BY created_at, id""", rs -> {
                g.writeStartObject();
                ExportArchive.writeColumns(g, rs);
                g.writeStringField("url", links.url(a.baseUrl(), rs.getString("id")));
                g.writeEndObject();
            }, a.accountId());
            g.writeEndArray();
        });
    }

    /** Browser sessions, where sign-in is installed. */
    static void sessions(ExportArchive a) throws Exception {
        if (a.tableExists("apimodels_session")) {
            a.jsonRows("sessions.json", """
                    SELECT id, created_at, last_seen_at, expires_at, revoked_at, ip, user_agent FROM apimodels_session
                    WHERE account_id = ? ORDER BY created_at, id""", a.accountId());
        }
    }

    static void privacyRequests(ExportArchive a) throws Exception {
        a.jsonRows("privacy-requests.json", """
                SELECT id, kind, state, received_at, due_at, completed_at, outcome FROM apimodels_privacy_request
                WHERE account_id = ? ORDER BY received_at, id""", a.accountId());
    }

    /**
     * Each transfer that moved credits in or out of one of the account's ledger accounts (wallet, hold,
     * and any other it owns); the other side is named by its kind (revenue, grants, payments…), never
     * by another account.
     */
    static void ledger(ExportArchive a) throws Exception {
        a.csvRows("ledger.csv", """
                SELECT t.id, t.kind, t.amount AS amount_micros, d.kind AS from_account, c.kind AS to_account, t.reason, t.hold_id,
                       t.created_at
                FROM apimodels_transfer t
                JOIN apimodels_ledger_account d ON d.id = t.debit_id
                JOIN apimodels_ledger_account c ON c.id = t.credit_id
                WHERE d.owner_id = ? OR c.owner_id = ?
                ORDER BY t.created_at, t.id""", a.accountId(), a.accountId());
    }

    /** Credit purchases, where billing is installed: amounts and states only (card data never reaches us). */
    static void orders(ExportArchive a) throws Exception {
        if (a.tableExists("apimodels_order")) {
            a.csvRows("orders.csv", """
                    SELECT id, gateway, gateway_order_id, package, amount_micros, currency, amount_minor, state, refunded_minor,
                           disputed_minor, created_at, paid_at
                    FROM apimodels_order WHERE account_id = ? ORDER BY created_at, id""", a.accountId());
        }
    }

    static void usage(ExportArchive a) throws Exception {
        a.csvRows("usage.csv", """
                SELECT id, key_id, endpoint, model, stream, status, error, started_at, latency_ms, attempts, input_tokens,
                       cached_tokens, cache_write_tokens, output_tokens, estimated, cost_micros, uncollected_micros
                FROM apimodels_call_log WHERE account_id = ? ORDER BY started_at, id""", a.accountId());
    }
}
