package app.apimodels.core.api;

import app.apimodels.core.accounts.Account;
import app.apimodels.core.accounts.Accounts;
import app.apimodels.core.accounts.Role;
import app.apimodels.core.calllog.CallLog;
import app.apimodels.core.catalog.CatalogService;
import app.apimodels.core.catalog.ModelSpec;
import app.apimodels.core.catalog.ProviderSpec;
import app.apimodels.core.jobs.Jobs;
import app.apimodels.core.keys.ApiKeys;
import app.apimodels.core.ledger.Ledger;
import app.apimodels.core.ledger.Transfer;
import app.apimodels.core.privacy.Restrictions;
import app.apimodels.core.web.ApiException;
import app.apimodels.core.web.Request;
import app.apimodels.core.web.Text;
import app.apimodels.spi.web.Response;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** {@code /admin…}: users (search, roles, suspension), credits, keys, the catalog, the call log and the jobs. Admins only. */
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
    private final Restrictions restrictions;
    private final Jobs jobs;
    private final long maxGrantMicros;

    /** @param maxGrantMicros the largest single grant ({@code apimodels.admin.max-grant-micros}) */
    public AdminApi(Accounts accounts, ApiKeys keys, Ledger ledger, CatalogService catalog, CallLog callLog, Restrictions restrictions,
                    Jobs jobs, long maxGrantMicros) {
        this.restrictions = restrictions;
        this.jobs = jobs;
        this.maxGrantMicros = maxGrantMicros;
        this.accounts = accounts;
        this.keys = keys;
        this.ledger = ledger;
        this.catalog = catalog;
        this.callLog = callLog;
    }

    public void createUser(Request r) {
        Map<String, Object> body = r.jsonBody();
        Role role = role(body, false);
        // A password is only hashed, but hashing a megabyte of it is work an admin key should not be able to ask for.
        Account a = accounts.create(Params.string(body, "email", true, 320), Params.string(body, "password", false, 1024), role);
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("id", a.id());
        out.put("email", a.email());
        out.put("role", a.role().dbValue());
        r.json(201, out);
    }

    /** {@code role} of a body: {@code user} or {@code admin}; absent is {@code user} unless required. */
    private static Role role(Map<String, Object> body, boolean required) {
        String name = Params.string(body, "role", required, 16);
        try {
            return name == null ? Role.USER : Role.valueOf(name.toUpperCase(java.util.Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw ApiException.badRequest("role", "role must be user or admin");
        }
    }

    public void getUser(Request r) {
        Account a = accounts.get(r.id("id"));
        r.json(200, userView(a));
    }

    /** An account for an operator: its balance, and whether it is restricted by its holder or suspended by an operator. */
    private Map<String, Object> userView(Account a) {
        Map<String, Object> out = Views.account(a, ledger.balance(a)); // read-your-writes: balance() commits this node's queue first
        out.put("restricted", restrictions.isRestricted(a.id()));
        out.put("suspension", restrictions.suspension(a.id()).map(s -> {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("since", s.since());
            m.put("reason", s.reason());
            return m;
        }).orElse(null));
        return out;
    }

    /** {@code GET /admin/users?q=&limit=&cursor=}: by id, or a part of the address or name; newest first. */
    public void searchUsers(Request r) {
        var ex = r.exchange();
        String q = Text.checked("q", ex.query("q"), 320);
        int limit = Params.limit(ex.query("limit"));
        List<Accounts.Summary> page = accounts.search(q, Params.queryLong(ex.query("cursor"), "cursor"), limit);
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("object", "list");
        out.put("data", page.stream().map(u -> {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("id", u.id());
            m.put("email", u.email());
            m.put("name", u.name());
            m.put("role", u.role().dbValue());
            m.put("created_at", u.createdAt());
            m.put("restricted", u.restricted());
            m.put("suspended", u.suspended());
            m.put("erased", u.erased());
            return m;
        }).toList());
        // The next page starts below the last id shown; none when this page was not full.
        out.put("next_cursor", page.size() == limit ? page.get(page.size() - 1).id() : null);
        r.json(200, out);
    }

    /** {@code PUT /admin/users/{id}/role {role}}: never leaves the service without an admin. */
    public void setRole(Request r) {
        long id = r.id("id");
        Role role = role(r.jsonBody(), true);
        Account a = accounts.changeRole(id, role);
        keys.invalidateAll(); // a key carries its account's role
        r.json(200, userView(a));
    }

    /** {@code POST /admin/users/{id}/suspension {suspended, reason?}}: an operator stops an account's calls, or lets them go again. */
    public void suspend(Request r) {
        long id = r.id("id");
        Map<String, Object> body = r.jsonBody();
        boolean suspended = Params.flag(body, "suspended", true, false);
        String reason = Params.string(body, "reason", false, 500);
        restrictions.suspend(id, suspended, reason);
        r.json(200, userView(accounts.get(id)));
    }

    /** {@code GET /admin/jobs}: each kind of background job, its next and last runs and its failures. */
    public void jobs(Request r) {
        r.json(200, Map.of("object", "list", "data", jobs.report().stream().map(j -> {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("name", j.name());
            m.put("kind", j.kind());
            m.put("instances", j.instances());
            m.put("next_run", millis(j.nextRun()));
            m.put("last_success", millis(j.lastSuccess()));
            m.put("last_failure", millis(j.lastFailure()));
            m.put("failing", j.failing());
            m.put("running", j.running());
            m.put("run_now", jobs.sweepNames().contains(j.name()));
            return m;
        }).toList()));
    }

    private static Long millis(java.time.Instant t) {
        return t == null ? null : t.toEpochMilli();
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
        out.put("providers", c.providers().stream().map(p -> {
            Map<String, Object> view = providerView(p);
            // A provider this node cannot call (another node may): why, for the operator of this node.
            c.unavailable(p.id()).ifPresent(u -> view.put("unavailable", u.reason()));
            return view;
        }).toList());
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
