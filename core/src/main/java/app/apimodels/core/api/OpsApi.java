package app.apimodels.core.api;

import app.apimodels.core.db.Sql;
import app.apimodels.core.metrics.Metrics;
import app.apimodels.core.web.Json;
import app.apimodels.core.web.Request;
import app.apimodels.spi.web.Response;
import app.apimodels.core.web.Router;

import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.BooleanSupplier;

/** Health (MicroProfile Health JSON shape), Prometheus metrics and the OpenAPI document. */
public final class OpsApi {

    private final Sql sql;
    private final Metrics metrics;
    private final BooleanSupplier accepting;
    private final Router router;

    public OpsApi(Sql sql, Metrics metrics, BooleanSupplier accepting, Router router) {
        this.sql = sql;
        this.metrics = metrics;
        this.accepting = accepting;
        this.router = router;
    }

    public void live(Request r) {
        health(r, List.of(check("engine", true)));
    }

    public void ready(Request r) {
        boolean db;
        try {
            db = sql.one("SELECT 1", rs -> rs.getInt(1)).isPresent();
        } catch (RuntimeException e) {
            db = false;
        }
        health(r, List.of(check("database", db), check("accepting-calls", accepting.getAsBoolean())));
    }

    private static Map<String, Object> check(String name, boolean up) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("name", name);
        m.put("status", up ? "UP" : "DOWN");
        return m;
    }

    private static void health(Request r, List<Map<String, Object>> checks) {
        boolean up = checks.stream().allMatch(c -> "UP".equals(c.get("status")));
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("status", up ? "UP" : "DOWN");
        body.put("checks", checks);
        r.json(up ? 200 : 503, body);
    }

    public void metrics(Request r) {
        r.exchange().respond(new Response(200, "text/plain; version=0.0.4; charset=utf-8",
                metrics.scrape().getBytes(StandardCharsets.UTF_8)));
    }

    /** OpenAPI 3.1 listing every route with its method, parameters and security. */
    public void openApi(Request r) {
        Map<String, Object> paths = new TreeMap<>();
        for (Router.Route route : router.routes()) {
            @SuppressWarnings("unchecked")
            Map<String, Object> item = (Map<String, Object>) paths.computeIfAbsent(route.template(), k -> new LinkedHashMap<>());
            Map<String, Object> op = new LinkedHashMap<>();
            op.put("operationId", route.method().toLowerCase() + route.template().replaceAll("[^A-Za-z0-9]+", "_"));
            List<Map<String, Object>> params = java.util.regex.Pattern.compile("\\{([^}]+)}").matcher(route.template()).results()
                    .map(m -> Map.<String, Object>of("name", m.group(1), "in", "path", "required", true,
                            "schema", Map.of("type", "string"))).toList();
            if (!params.isEmpty()) {
                op.put("parameters", params);
            }
            switch (route.access()) {
                case PUBLIC -> { }
                case KEY -> op.put("security", List.of(Map.of("bearer", List.of())));
                default -> op.put("security", List.of(Map.of("bearer", List.of()), Map.of("session", List.of())));
            }
            if (route.access() == Router.Access.ADMIN) {
                op.put("description", "Admin keys and admins' sessions only.");
            }
            op.put("responses", Map.of("default", Map.of("description", "See README: API surface")));
            item.put(route.method().toLowerCase(), op);
        }
        Map<String, Object> doc = new LinkedHashMap<>();
        doc.put("openapi", "3.1.0");
        doc.put("info", Map.of("title", "apimodels", "version", "0.1.0"));
        doc.put("paths", paths);
        // A session's changes also need X-CSRF-Token and a same-origin Origin (README: Accounts and sessions).
        doc.put("components", Map.of("securitySchemes", Map.of("bearer", Map.of("type", "http", "scheme", "bearer"),
                "session", Map.of("type", "apiKey", "in", "cookie", "name", "apimodels_session"))));
        r.exchange().respond(new Response(200, "application/json", Json.bytes(doc)));
    }
}
