package app.apimodels.core.metrics;

import app.apimodels.core.calllog.CallRecord;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;

import java.time.Duration;
import java.util.function.Supplier;

/** The engine's own Prometheus registry (not a global one, so two engines in one JVM stay apart). */
public final class Metrics {

    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);

    public void gauge(String name, String help, Supplier<Number> value) {
        Gauge.builder(name, value).description(help).register(registry);
    }

    /** Counts a finished call by endpoint, model and status, with its latency and charge. */
    public void call(CallRecord r) {
        String status = Integer.toString(r.status());
        String model = r.model() == null ? "" : r.model();
        Counter.builder("apimodels_calls").description("API calls by endpoint, model and status")
                .tags("endpoint", r.endpoint(), "model", model, "status", status).register(registry).increment();
        Timer.builder("apimodels_call_latency").description("Time from request to settlement decision")
                .tags("endpoint", r.endpoint(), "model", model).register(registry).record(Duration.ofMillis(r.latencyMs()));
        if (r.costMicros() > 0) {
            Counter.builder("apimodels_charged_micros").description("Micro-credits charged for calls (before collection)")
                    .tags("model", model).register(registry).increment(r.costMicros());
        }
    }

    /** Adds one to counter {@code name} with the given tag names and values. */
    public void count(String name, String help, String... tags) {
        Counter.builder(name).description(help).tags(tags).register(registry).increment();
    }

    /** A call refused by an abuse limit: whose limit (key, account, ip) and which (requests, tokens, concurrent). */
    public void limited(String scope, String limit) {
        Counter.builder("apimodels_limit_refusals").description("Requests and calls refused by an abuse limit (429)")
                .tags("scope", scope, "limit", limit).register(registry).increment();
    }

    public String scrape() {
        return registry.scrape();
    }

    public void close() {
        registry.close();
    }
}
