package app.apimodels.core.api;

import app.apimodels.core.policies.Policies;
import app.apimodels.core.policies.Policy;
import app.apimodels.core.sessions.Site;
import app.apimodels.core.web.ApiException;
import app.apimodels.core.web.Request;

import java.util.LinkedHashMap;
import java.util.Map;

/** Policy versions: the one in force (public), an account's acceptance, and an admin publishing them. */
public final class PolicyApi {

    private final Policies policies;
    private final Site site;

    public PolicyApi(Policies policies, Site site) {
        this.policies = policies;
        this.site = site;
    }

    /** {@code GET /auth/policy}: the version in force (or, before any is, the first to come); 404 when none is published. */
    public void current(Request r) {
        Policy p = policies.toAccept().orElseThrow(() -> ApiException.notFound("policy"));
        Map<String, Object> out = view(p);
        out.put("in_force", policies.inForce().map(now -> now.version().equals(p.version())).orElse(false));
        policies.list().stream().filter(next -> next.effectiveAt() > p.effectiveAt()).reduce((a, b) -> b)
                .ifPresent(next -> out.put("next", view(next)));
        r.json(200, out);
    }

    /** {@code POST /api/v1/account/policy {version}}: the caller accepts that version (in force or to come). */
    public void accept(Request r) {
        String version = Params.string(r.jsonBody(), "version", true, 64);
        Policy p = policies.accept(r.caller().accountId(), version);
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("accepted", p.version());
        out.put("effective_at", p.effectiveAt());
        r.json(200, out);
    }

    /** {@code POST /admin/policies {version, effective_at, summary?, url?}}: publishes, and mails every verified account. */
    public void publish(Request r) {
        Map<String, Object> body = r.jsonBody();
        String version = Params.string(body, "version", true, 64);
        long effectiveAt = Params.whole(body, "effective_at", true, 0, Limits.MAX_EPOCH_MILLIS);
        String summary = Params.string(body, "summary", false, 2000);
        String url = Params.string(body, "url", false, 2000);
        Policy p = policies.publish(version, effectiveAt, summary, url, site.base(r.exchange()) + "/auth/policy");
        r.json(201, view(p));
    }

    /** {@code GET /admin/policies}: every published version, the latest first. */
    public void list(Request r) {
        r.json(200, Map.of("object", "list", "data", policies.list().stream().map(PolicyApi::view).toList()));
    }

    private static Map<String, Object> view(Policy p) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("version", p.version());
        m.put("effective_at", p.effectiveAt());
        m.put("summary", p.summary());
        m.put("url", p.url());
        m.put("published_at", p.publishedAt());
        return m;
    }
}
