package app.apimodels.core.routing;

import app.apimodels.core.web.Request;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * {@code GET /admin/routes}: every route of the catalog as the node that answers sees it — its
 * breaker, cool-down, recent error rate and latency, timeouts, and its provider's keys by their
 * last four characters. Times are epoch milliseconds; other nodes may see their routes otherwise.
 */
public final class RoutesApi {

    private final Routing routing;

    public RoutesApi(Routing routing) {
        this.routing = routing;
    }

    public void list(Request r) {
        List<Map<String, Object>> data = routing.statuses().stream().map(RoutesApi::json).toList();
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("object", "list");
        body.put("window_seconds", Routing.WINDOW.toSeconds());
        body.put("data", data);
        r.json(200, body);
    }

    private static Map<String, Object> json(Routing.RouteStatus s) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("model", s.model());
        m.put("provider", s.provider());
        m.put("upstream_model", s.upstreamModel());
        m.put("priority", s.priority());
        m.put("weight", s.weight());
        m.put("circuit", s.circuit().name().toLowerCase(Locale.ROOT));
        m.put("consecutive_failures", s.consecutiveFailures());
        m.put("circuit_open_until", s.circuitOpenUntil());
        m.put("cool_down_until", s.coolDownUntil());
        m.put("calls", s.calls());
        m.put("failures", s.failures());
        m.put("error_rate", s.errorRate());
        m.put("latency_p50_ms", s.latencyP50Millis());
        m.put("latency_p95_ms", s.latencyP95Millis());
        m.put("first_byte_timeout_ms", s.firstByteTimeoutMillis());
        m.put("timeout_ms", s.timeoutMillis());
        m.put("keys", s.keys().stream().map(k -> {
            Map<String, Object> key = new LinkedHashMap<>();
            key.put("key", k.key());
            key.put("state", k.state().name().toLowerCase(Locale.ROOT));
            key.put("until", k.until());
            key.put("reason", k.reason());
            return key;
        }).toList());
        return m;
    }
}
