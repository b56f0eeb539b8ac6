package app.apimodels.core.api;

import app.apimodels.core.accounts.Account;
import app.apimodels.core.accounts.Accounts;
import app.apimodels.core.accounts.Role;
import app.apimodels.core.calllog.CallLog;
import app.apimodels.core.catalog.CatalogService;
import app.apimodels.core.catalog.ModelSpec;
import app.apimodels.core.catalog.ProviderSpec;
import app.apimodels.core.keys.ApiKeys;
import app.apimodels.core.ledger.Ledger;
import app.apimodels.core.ledger.Transfer;
import app.apimodels.core.web.ApiException;
import app.apimodels.core.web.Request;
import app.apimodels.core.web.Text;
import app.apimodels.spi.web.Response;

import java.util.LinkedHashMap;
import java.util.Map;

/** {@code /admin…}: users, credits, keys, the catalog and the call log. Admin keys only. */
public final class AdminApi {

    /** The default largest single grant: 10^12 µ, a million credits. */
    public static final long DEFAULT_MAX_GRANT_MICROS = 1_000_000_000_000L;
    /** What {@code apimodels.admin.max-grant-micros} may be raised to: sums of grants stay far from overflowing a long. */
    public static final long MAX_GRANT_MICROS = Limits.MAX_MICROS;

    private final Accounts accounts;
    private final ApiKeys keys;
    private final Ledger ledger;
    private final CatalogService catalog;
    private final CallLog callLog;
    private final long maxGrantMicros;

    /** @param maxGrantMicros the largest single grant ({@code apimodels.admin.max-grant-micros}) */
    public AdminApi(Accounts accounts, ApiKeys keys, Ledger ledger, CatalogService catalog, CallLog callLog, long maxGrantMicros) {
        this.maxGrantMicros = maxGrantMicros;
        this.accounts = accounts;
        this.keys = keys;
        this.ledger = ledger;
        this.catalog = catalog;
        this.callLog = callLog;
    }

    public void createUser(Request r) {
        Map<String, Object> body = r.jsonBody();
        String roleName = Params.string(body, "role", false, 16);
        Role role;
        try {
            role = roleName == null ? Role.USER : Role.valueOf(roleName.toUpperCase());
        } catch (IllegalArgumentException e) {
            throw ApiException.badRequest("role", "role must be user or admin");
        }
        // A password is only hashed, but hashing a megabyte of it is work an admin key should not be able to ask for.
        Account a = accounts.create(Params.string(body, "email", true, 320), Params.string(body, "password", false, 1024), role);
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("id", a.id());
        out.put("email", a.email());
        out.put("role", a.role().dbValue());
        r.json(201, out);
    }

    public void getUser(Request r) {
        Account a = accounts.get(r.id("id"));
        r.json(200, Views.account(a, ledger.balance(a))); // read-your-writes: balance() commits this node's queue first
    }

    public void grant(Request r) {
        Account a = accounts.get(r.id("id"));
        Map<String, Object> body = r.jsonBody();
        long amount = Params.whole(body, "amount_micros", true, 1, maxGrantMicros);
        Transfer t = ledger.grant(a, amount, Params.string(body, "reason", false, 500),
                Params.string(body, "idempotency_key", true, 80));
        Map<String, Object> out = Views.transfer(t, a.walletId());
        out.put("user_id", a.id());
        out.put("balance_micros", ledger.balance(a).available());
        r.json(201, out);
    }

    public void createKey(Request r) {
        Account a = accounts.get(r.id("id"));
        r.json(201, AccountApi.created(keys.create(a.id(), AccountApi.options(r.jsonBody()))));
    }

    public void calls(Request r) {
        var ex = r.exchange();
        ledger.flush().join();
        r.json(200, Map.of("object", "list", "data", callLog.search(new CallLog.Query(Params.queryLong(ex.query("user"), "user"),
                Params.queryLong(ex.query("from"), "from"), Params.queryLong(ex.query("to"), "to"), ex.query("model"),
                Params.queryLong(ex.query("key"), "key"), Params.limit(ex.query("limit")))).stream().map(e -> {
                    Map<String, Object> m = Views.call(e);
                    m.put("user_id", e.accountId());
                    m.put("provider", e.provider());
                    m.put("attempts", e.attempts());
                    return m;
                }).toList()));
    }

    public void getCatalog(Request r) {
        var c = catalog.catalog();
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("providers", c.providers().stream().map(AdminApi::providerView).toList());
        out.put("models", c.models().stream().map(m -> CatalogService.doc(m.spec())).toList());
        r.json(200, out);
    }

    public void putProvider(Request r) {
        ProviderSpec spec = catalog.putProvider(Text.checked("id", r.param("id"), 100), r.jsonBody());
        r.json(200, providerView(spec));
    }

    public void deleteProvider(Request r) {
        catalog.deleteProvider(r.param("id"));
        r.exchange().respond(new Response(204, null, null));
    }

    public void putModel(Request r) {
        ModelSpec spec = catalog.putModel(Text.checked("id", r.param("id"), 200), r.jsonBody());
        r.json(200, CatalogService.doc(spec));
    }

    public void deleteModel(Request r) {
        catalog.deleteModel(r.param("id"));
        r.exchange().respond(new Response(204, null, null));
    }

    /**
     * A provider without its secret: only whether one is set and, if it is made of {@code ${NAME}}
     * references, which (their defaults masked, as those may be secrets too).
     */
    private static Map<String, Object> providerView(ProviderSpec p) {
        Map<String, Object> m = CatalogService.doc(p);
        String key = p.apiKey();
        String shown;
        if (key == null || key.isEmpty()) {
            shown = null;
        } else if (key.matches("(\\$\\{[^}]+})+")) {
            shown = key.replaceAll("\\$\\{([^}:]+):[^}]*}", "\\${$1:***}");
        } else {
            shown = "***";
        }
        m.put("api-key", shown);
        return m;
    }
}
