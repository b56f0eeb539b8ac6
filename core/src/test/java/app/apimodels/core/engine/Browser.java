package app.apimodels.core.engine;

import app.apimodels.testkit.web.MockExchange;

/**
 * A browser as the engine sees it: it keeps the session cookie a response sets (and drops it when
 * a response clears it), sends it back, and on changes sends the CSRF token it was given and its
 * page's {@code Origin}.
 */
final class Browser {

    static final String ORIGIN = "http://localhost";

    private final EngineHarness engine;
    private String cookie;
    private String csrf;

    Browser(EngineHarness engine) {
        this.engine = engine;
    }

    /** Logs in; the answer as received (the cookie and token are kept when it succeeds). */
    MockExchange.Answer login(String email, String password) {
        MockExchange.Answer a = send("POST", "/auth/login", "{\"email\":\"" + email + "\",\"password\":\"" + password + "\"}");
        if (a.status() == 200) {
            csrf = EngineHarness.json(a).get("csrf_token").asText();
        }
        return a;
    }

    MockExchange.Answer get(String path) {
        return send("GET", path, null);
    }

    MockExchange.Answer post(String path, String json) {
        return send("POST", path, json);
    }

    /** A request with the cookie, the CSRF token and the page's origin, as the console's script sends it. */
    MockExchange.Answer send(String method, String path, String json) {
        MockExchange.Builder b = request(method, path, json);
        if (csrf != null) {
            b.header("X-CSRF-Token", csrf);
        }
        b.header("Origin", ORIGIN);
        return keep(engine.call(b));
    }

    /** A request with the cookie only: what another site's form or script makes the browser send. */
    MockExchange.Answer bare(String method, String path, String json, String... headers) {
        MockExchange.Builder b = request(method, path, json);
        for (int i = 0; i < headers.length; i += 2) {
            b.header(headers[i], headers[i + 1]);
        }
        return keep(engine.call(b));
    }

    private MockExchange.Builder request(String method, String path, String json) {
        MockExchange.Builder b = MockExchange.builder(method, path);
        if (json != null) {
            b.json(json);
        }
        if (cookie != null) {
            b.header("Cookie", cookie);
        }
        return b;
    }

    private MockExchange.Answer keep(MockExchange.Answer a) {
        String set = a.header("Set-Cookie");
        if (set != null) {
            String pair = set.substring(0, set.indexOf(';'));
            cookie = pair.endsWith("=") || set.contains("Max-Age=0") ? null : pair;
        }
        return a;
    }

    /** The cookie as the browser would send it ({@code name=value}), or null. */
    String cookie() {
        return cookie;
    }

    void cookie(String nameAndValue) {
        this.cookie = nameAndValue;
    }

    String csrf() {
        return csrf;
    }
}
