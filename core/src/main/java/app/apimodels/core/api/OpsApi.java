package app.apimodels.core.api;

import app.apimodels.core.db.Sql;
import app.apimodels.core.metrics.Metrics;
import app.apimodels.core.web.Request;
import app.apimodels.spi.web.Response;

import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;

/** Health (MicroProfile Health JSON shape), Prometheus metrics and the OpenAPI document. */
public final class OpsApi {

    private final Sql sql;
    private final Metrics metrics;
    private final BooleanSupplier accepting;
    private volatile byte[] openApi;

    public OpsApi(Sql sql, Metrics metrics, BooleanSupplier accepting) {
        this.sql = sql;
        this.metrics = metrics;
        this.accepting = accepting;
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

    /** The OpenAPI document ({@link app.apimodels.core.openapi.OpenApi}), built once the routes are all in. */
    public void publish(byte[] openApi) {
        this.openApi = openApi;
    }

    public void openApi(Request r) {
        r.exchange().respond(new Response(200, "application/json", openApi));
    }
}
