package app.apimodels.core.api;

import app.apimodels.core.accounts.Account;
import app.apimodels.core.accounts.Accounts;
import app.apimodels.core.ledger.Ledger;
import app.apimodels.core.ledger.Transfer;
import app.apimodels.core.limits.ClientAddress;
import app.apimodels.core.redemption.Redemptions;
import app.apimodels.core.web.Json;
import app.apimodels.core.web.Request;
import app.apimodels.spi.web.Response;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Redemption codes: {@code /admin/redemption-batches…} and {@code /admin/redemption-codes…} for
 * admins, {@code POST /api/v1/billing/redeem} for the holder of a code.
 */
public final class RedemptionApi {

    /** The default most a code may be worth: 10^9 µ, a thousand credits. */
    public static final long DEFAULT_MAX_AMOUNT_MICROS = 1_000_000_000L;
    /** What {@code apimodels.redemption.max-amount-micros} may be raised to. */
    public static final long MAX_AMOUNT_MICROS = Limits.MAX_MICROS;

    private final Redemptions redemptions;
    private final Accounts accounts;
    private final Ledger ledger;
    private final ClientAddress clientAddress;
    private final int maxCodes;
    private final long maxAmount;

    /**
     * @param clientAddress where a request comes from, for the per-address throttle
     * @param maxCodes  the most codes in one batch ({@code apimodels.redemption.max-codes-per-batch})
     * @param maxAmount the most one code may be worth ({@code apimodels.redemption.max-amount-micros})
     */
    public RedemptionApi(Redemptions redemptions, Accounts accounts, Ledger ledger, ClientAddress clientAddress, int maxCodes,
                         long maxAmount) {
        this.redemptions = redemptions;
        this.accounts = accounts;
        this.ledger = ledger;
        this.clientAddress = clientAddress;
        this.maxCodes = maxCodes;
        this.maxAmount = maxAmount;
    }

    public void createBatch(Request r) {
        Map<String, Object> body = r.jsonBody();
        int count = Params.whole(body, "count", true, 1, maxCodes).intValue();
        long amount = Params.whole(body, "amount_micros", true, 1, maxAmount);
        Long expiresAt = Params.whole(body, "expires_at", false, 0, Limits.MAX_EPOCH_MILLIS);
        String note = Params.string(body, "note", false, 500);
        Redemptions.NewBatch created = redemptions.create(r.caller().accountId(), count, amount, expiresAt, note);
        Map<String, Object> out = batch(created.batch());
        out.put("codes", created.codes().stream().map(c -> Map.of("id", c.id(), "code", c.code())).toList());
        // The codes are shown this once: no cache along the way may keep them.
        r.exchange().respond(new Response(201, "application/json", Json.bytes(out), Map.of("Cache-Control", "no-store")));
    }

    public void listBatches(Request r) {
        var ex = r.exchange();
        r.json(200, Map.of("object", "list", "data", redemptions.list(Params.limit(ex.query("limit")),
                Params.queryLong(ex.query("before"), "before")).stream().map(RedemptionApi::batch).toList()));
    }

    public void getBatch(Request r) {
        long id = r.id("id");
        Map<String, Object> out = batch(redemptions.batch(id));
        out.put("codes", redemptions.codes(id).stream().map(RedemptionApi::code).toList());
        r.json(200, out);
    }

    public void disableBatch(Request r) {
        r.json(200, batch(redemptions.disable(r.id("id"))));
    }

    public void disableCode(Request r) {
        r.json(200, code(redemptions.disableCode(r.id("id"))));
    }

    public void redeem(Request r) {
        Account a = accounts.get(r.caller().accountId());
        String code = Params.string(r.jsonBody(), "code", true, 100);
        Transfer t = redemptions.redeem(a, code, clientAddress.of(r.exchange()));
        Map<String, Object> out = Views.transfer(t, a.walletId());
        out.put("balance_micros", ledger.balance(a).available());
        r.json(200, out);
    }

    private static Map<String, Object> batch(Redemptions.Batch b) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", b.id());
        m.put("amount_micros", b.amount());
        m.put("count", b.count());
        m.put("expires_at", b.expiresAt());
        m.put("note", b.note());
        m.put("created_by", b.createdBy());
        m.put("created_at", b.createdAt());
        m.put("unused", b.unused());
        m.put("used", b.used());
        m.put("disabled", b.disabled());
        return m;
    }

    private static Map<String, Object> code(Redemptions.Code c) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", c.id());
        m.put("state", c.state());
        m.put("redeemed_by", c.redeemedBy());
        m.put("redeemed_at", c.redeemedAt());
        m.put("disabled_at", c.disabledAt());
        return m;
    }
}
