package app.apimodels.core.api;

import app.apimodels.core.privacy.Erasure;
import app.apimodels.core.privacy.Exports;
import app.apimodels.core.privacy.PrivacyRequest;
import app.apimodels.core.privacy.PrivacyRequests;
import app.apimodels.core.privacy.Profile;
import app.apimodels.core.privacy.Profiles;
import app.apimodels.core.privacy.Restrictions;
import app.apimodels.core.web.ApiException;
import app.apimodels.core.web.Request;

import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The privacy rights over HTTP: {@code GET /api/v1/account/export}, {@code PATCH /api/v1/account},
 * {@code POST /api/v1/account/restriction}, and the admin's register of privacy requests.
 */
public final class PrivacyApi {

    private static final Set<String> PATCHABLE = Set.of("name", "marketing_consent", "low_balance_threshold_micros", "email");

    private final Profiles profiles;
    private final Restrictions restrictions;
    private final Exports exports;
    private final Erasure erasure;
    private final PrivacyRequests requests;
    private final Profiles.EmailChange emailChange;
    private final Clock clock;

    /** @param emailChange the sign-in flow's verified change of address, or null where there is none */
    public PrivacyApi(Profiles profiles, Restrictions restrictions, Exports exports, Erasure erasure, PrivacyRequests requests,
                      Profiles.EmailChange emailChange, Clock clock) {
        this.profiles = profiles;
        this.restrictions = restrictions;
        this.exports = exports;
        this.erasure = erasure;
        this.requests = requests;
        this.emailChange = emailChange;
        this.clock = clock;
    }

    public void export(Request r) {
        Exports.Archive archive = exports.export(r.caller().accountId(), r.exchange().baseUrl());
        r.exchange().respond(200, "application/zip", Map.of(
                "Content-Disposition", "attachment; filename=\"apimodels-export-" + r.caller().accountId() + ".zip\"",
                "Cache-Control", "no-store",
                "X-Apimodels-Privacy-Request", archive.request().id()), archive.content(), archive.length());
    }

    /** Correction and objection: {@code {name?, marketing_consent?, low_balance_threshold_micros?}}; email goes to the sign-in flow. */
    public void patch(Request r) {
        Map<String, Object> body = r.jsonBody();
        for (String field : body.keySet()) {
            if (!PATCHABLE.contains(field)) {
                throw ApiException.badRequest(field, field + " cannot be changed here; the fields are " + String.join(", ",
                        List.of("name", "marketing_consent", "low_balance_threshold_micros", "email")));
            }
        }
        if (body.isEmpty()) {
            throw ApiException.badRequest("name", "nothing to change: send name, marketing_consent, low_balance_threshold_micros or email");
        }
        Object marketing = body.get("marketing_consent");
        if (body.containsKey("marketing_consent") && !(marketing instanceof Boolean)) {
            throw ApiException.badRequest("marketing_consent", "marketing_consent must be true or false");
        }
        String name = Params.string(body, "name", false, Profiles.MAX_NAME);
        Long threshold = Params.whole(body, "low_balance_threshold_micros", false, 0, Limits.MAX_MICROS);
        String email = Params.string(body, "email", false, 320);
        if (email != null && emailChange == null) {
            throw ApiException.badRequest("email", "email changes need the new address verified, which this deployment's"
                    + " sign-in flow does not offer; ask the operator");
        }
        if (email != null) {
            // The sign-in flow checks the address and mails a link to it; nothing changes until it is followed.
            // First, so a refused address leaves the other fields unchanged too.
            emailChange.request(r.caller().accountId(), email, r.exchange().baseUrl());
        }
        Profiles.Changed changed = profiles.change(r.caller().accountId(), new Profiles.Change(body.containsKey("name"), name,
                (Boolean) marketing, body.containsKey("low_balance_threshold_micros"), threshold));
        Map<String, Object> out = profile(changed.profile());
        if (email != null) {
            out.put("email_change", "pending: follow the link mailed to the new address");
        }
        out.put("privacy_requests", changed.requests().stream().map(PrivacyRequest::id).toList());
        r.json(200, out);
    }

    /**
     * Erasure, confirmed by {@code {password}} (or, for an account that has none, {@code {confirm_email}}:
     * its address): a key alone, which may have leaked, cannot delete a person.
     */
    public void delete(Request r) {
        Map<String, Object> body = r.jsonBody();
        PrivacyRequest done = erasure.erase(r.caller().accountId(), new Erasure.Confirmation(
                Params.string(body, "password", false, 1024), Params.string(body, "confirm_email", false, 320)));
        r.json(200, view(done));
    }

    /** {@code {restricted: true|false}}: restrict processing, or lift the restriction. */
    public void restriction(Request r) {
        Object restricted = r.jsonBody().get("restricted");
        if (!(restricted instanceof Boolean restrict)) {
            throw ApiException.badRequest("restricted", "restricted must be true or false");
        }
        PrivacyRequest done = restrictions.set(r.caller().accountId(), restrict);
        Map<String, Object> out = profile(profiles.get(r.caller().accountId()));
        out.put("privacy_request", done.id());
        r.json(200, out);
    }

    public void adminList(Request r) {
        var ex = r.exchange();
        String stateName = ex.query("state");
        PrivacyRequest.State state = null;
        if (stateName != null) {
            try {
                state = PrivacyRequest.State.of(stateName);
            } catch (IllegalArgumentException e) {
                throw ApiException.badRequest("state", "state must be received, completed or failed");
            }
        }
        List<Map<String, Object>> data = requests.list(Params.queryLong(ex.query("account"), "account"), state,
                Params.queryLong(ex.query("before"), "before"), Params.limit(ex.query("limit"))).stream().map(this::view).toList();
        r.json(200, Map.of("object", "list", "data", data));
    }

    public void adminGet(Request r) {
        String id = r.param("id");
        r.json(200, view(requests.find(id.length() > 40 ? "" : id).orElseThrow(() -> ApiException.notFound("privacy request"))));
    }

    private Map<String, Object> view(PrivacyRequest p) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", p.id());
        m.put("account_id", p.accountId());
        m.put("kind", p.kind().dbValue());
        m.put("state", p.state().dbValue());
        m.put("received_at", p.receivedAt());
        m.put("due_at", p.dueAt());
        m.put("overdue", p.state() == PrivacyRequest.State.RECEIVED && clock.millis() > p.dueAt());
        m.put("completed_at", p.completedAt());
        m.put("outcome", p.outcome());
        return m;
    }

    static Map<String, Object> profile(Profile p) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", p.accountId());
        m.put("email", p.email());
        m.put("name", p.name());
        m.put("marketing_consent", p.marketingConsent());
        m.put("low_balance_threshold_micros", p.lowBalanceThresholdMicros());
        m.put("restricted", p.restrictedAt() != null);
        m.put("restricted_at", p.restrictedAt());
        return m;
    }
}
