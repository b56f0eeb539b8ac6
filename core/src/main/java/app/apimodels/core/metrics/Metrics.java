package app.apimodels.core.metrics;

import app.apimodels.core.calllog.CallRecord;
import app.apimodels.core.ledger.LedgerEvents;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;

import app.apimodels.core.jobs.Jobs;
import app.apimodels.core.routing.Routing;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.function.Supplier;

/**
 * The engine's own Prometheus registry (not a global one, so two engines in one JVM stay apart).
 *
 * <p>Labels are bounded: a call's {@code model} is a catalog model id ("other" when the catalog
 * no longer knows it), its {@code route} the catalog's provider id ("none" before a route was
 * tried), its {@code endpoint} one of the engine's names. Nothing a client typed becomes a label.
 * The meters of a label set are looked up once and kept, so a call costs map reads and adds.
 */
public final class Metrics implements LedgerEvents {

    /** The model label of a model the catalog does not know (any more). */
    public static final String OTHER = "other";
    /** The route label of a call that never reached a route. */
    public static final String NO_ROUTE = "none";

    private static final Duration[] LATENCY_BUCKETS = durations(1, 2, 5, 10, 25, 50, 100, 250, 500, 1_000, 2_500, 5_000,
            10_000, 30_000, 60_000, 120_000);
    /** Added overhead is expected well under a millisecond: buckets from 50 µs. */
    private static final Duration[] OVERHEAD_BUCKETS = {Duration.ofNanos(50_000), Duration.ofNanos(100_000),
            Duration.ofNanos(250_000), Duration.ofNanos(500_000), Duration.ofMillis(1), Duration.ofMillis(2), Duration.ofMillis(5),
            Duration.ofMillis(10), Duration.ofMillis(25), Duration.ofMillis(50), Duration.ofMillis(100), Duration.ofMillis(500)};
    private static final Duration[] COMMIT_BUCKETS = {Duration.ofNanos(250_000), Duration.ofNanos(500_000), Duration.ofMillis(1),
            Duration.ofMillis(2), Duration.ofMillis(5), Duration.ofMillis(10), Duration.ofMillis(25), Duration.ofMillis(50),
            Duration.ofMillis(100), Duration.ofMillis(250), Duration.ofMillis(1_000)};

    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    /** Holds GC notification listeners on the platform MXBeans: closed with the engine, or a redeploy would leak. */
    private final JvmGcMetrics gc = new JvmGcMetrics();
    private final ConcurrentHashMap<CallSeries, Counter> callCounters = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<RouteSeries, RouteMeters> routeMeters = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, LedgerMeters> ledgerMeters = new ConcurrentHashMap<>();
    private final DistributionSummary leaseGrowth = DistributionSummary.builder("apimodels_ledger_lease_growth_micros")
            .description("Budget lease growths (count) and the micro-credits they moved from wallets (sum)")
            .register(registry);
    private volatile Predicate<String> knownModel = m -> true;
    private volatile Supplier<List<Routing.RouteStatus>> circuits = List::of;
    private final MultiGauge circuitGauge = MultiGauge.builder("apimodels_route_circuit")
            .description("A route's circuit breaker on this node: 0 closed, 1 half-open, 2 open").register(registry);

    public Metrics() {
        new ClassLoaderMetrics().bindTo(registry);
        new JvmMemoryMetrics().bindTo(registry);
        gc.bindTo(registry);
        new JvmThreadMetrics().bindTo(registry);
        new ProcessorMetrics().bindTo(registry);
        new UptimeMetrics().bindTo(registry);
    }

    /** The registry itself, for measuring code outside the engine (benchmarks). */
    public MeterRegistry registry() {
        return registry;
    }

    /** Which model ids may be labels: the catalog's (checked per call, so a catalog refresh is seen at once). */
    public void knownModels(Predicate<String> known) {
        this.knownModel = known;
    }

    public void gauge(String name, String help, Supplier<Number> value) {
        Gauge.builder(name, value).description(help).register(registry);
    }

    /** A gauge with one label, e.g. one per job type. */
    public void gauge(String name, String help, String tag, String tagValue, Supplier<Number> value) {
        Gauge.builder(name, value).description(help).tag(tag, tagValue).register(registry);
    }

    /** A finished call without timings of its own (generation tasks): counted, with its total latency. */
    public void call(CallRecord r) {
        call(r, CallTiming.NONE);
    }

    /**
     * Counts a finished call by endpoint, model, route and status; records its latencies, tokens
     * and charge by endpoint, model and route (histograms without the status, which would multiply
     * their buckets by every status seen).
     */
    public void call(CallRecord r, CallTiming timing) {
        String model = r.model() != null && knownModel.test(r.model()) ? r.model() : OTHER;
        String route = r.provider() == null ? NO_ROUTE : r.provider();
        callCounters.computeIfAbsent(new CallSeries(r.endpoint(), model, route, r.status()), this::callCounter).increment();
        RouteMeters m = routeMeters.computeIfAbsent(new RouteSeries(r.endpoint(), model, route), this::routeMeters);
        long total = timing.totalNanos() >= 0 ? timing.totalNanos() : TimeUnit.MILLISECONDS.toNanos(r.latencyMs());
        m.total.record(total, TimeUnit.NANOSECONDS);
        if (timing.upstreamNanos() >= 0) {
            m.upstream.record(timing.upstreamNanos(), TimeUnit.NANOSECONDS);
            m.overhead.record(Math.max(0, total - timing.upstreamNanos()), TimeUnit.NANOSECONDS);
        }
        if (timing.firstTokenNanos() >= 0) {
            m.firstToken.record(timing.firstTokenNanos(), TimeUnit.NANOSECONDS);
        }
        if (r.usage().inputTokens() > 0) {
            m.tokensIn.increment(r.usage().inputTokens());
        }
        if (r.usage().outputTokens() > 0) {
            m.tokensOut.increment(r.usage().outputTokens());
        }
        if (r.costMicros() > 0) {
            m.charged.increment(r.costMicros());
        }
    }

    private record CallSeries(String endpoint, String model, String route, int status) {
    }

    private record RouteSeries(String endpoint, String model, String route) {
    }

    private record RouteMeters(Timer total, Timer upstream, Timer overhead, Timer firstToken,
                               Counter tokensIn, Counter tokensOut, Counter charged) {
    }

    private Counter callCounter(CallSeries s) {
        return Counter.builder("apimodels_calls").description("API calls by endpoint, model, route and status")
                .tags("endpoint", s.endpoint(), "model", s.model(), "route", s.route(), "status", Integer.toString(s.status()))
                .register(registry);
    }

    private RouteMeters routeMeters(RouteSeries s) {
        String[] tags = {"endpoint", s.endpoint(), "model", s.model(), "route", s.route()};
        return new RouteMeters(
                timer("apimodels_call_latency", "Time from request to the call's end (a stream's last chunk)", tags, LATENCY_BUCKETS),
                timer("apimodels_call_upstream_latency", "Time spent waiting on upstream attempts, from the first one's start",
                        tags, LATENCY_BUCKETS),
                timer("apimodels_call_overhead", "What the service added: a call's latency less its upstream time", tags,
                        OVERHEAD_BUCKETS),
                timer("apimodels_call_first_token", "Streams: time from request to the first chunk sent to the client", tags,
                        LATENCY_BUCKETS),
                Counter.builder("apimodels_tokens").description("Tokens used by calls, by direction")
                        .tags(tags).tag("direction", "input").register(registry),
                Counter.builder("apimodels_tokens").description("Tokens used by calls, by direction")
                        .tags(tags).tag("direction", "output").register(registry),
                Counter.builder("apimodels_charged_micros").description("Micro-credits charged for calls (before collection)")
                        .tags(tags).register(registry));
    }

    private Timer timer(String name, String help, String[] tags, Duration[] buckets) {
        return Timer.builder(name).description(help).tags(tags).serviceLevelObjectives(buckets).register(registry);
    }

    @Override
    public void ledgerBatch(String writer, int ops, long commitNanos) {
        LedgerMeters m = ledgerMeters.computeIfAbsent(writer, this::ledgerMeters);
        m.size.record(ops);
        m.commit.record(commitNanos, TimeUnit.NANOSECONDS);
    }

    private record LedgerMeters(DistributionSummary size, Timer commit) {
    }

    private LedgerMeters ledgerMeters(String writer) {
        return new LedgerMeters(
                DistributionSummary.builder("apimodels_ledger_batch_ops").description("Operations per ledger commit, by writer")
                        .tag("writer", writer).serviceLevelObjectives(1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024).register(registry),
                Timer.builder("apimodels_ledger_commit").description("Time to apply and commit one ledger batch, by writer")
                        .tag("writer", writer).serviceLevelObjectives(COMMIT_BUCKETS).register(registry));
    }

    @Override
    public void leaseGrown(long micros) {
        leaseGrowth.record(micros);
    }

    /**
     * Per job type, the runs due and not picked and how late the oldest is; read from the job
     * table at most once a second, however many gauges a scrape reads.
     */
    public void jobs(List<String> names, Supplier<Map<String, Jobs.Backlog>> backlog) {
        Supplier<Map<String, Jobs.Backlog>> cached = new Supplier<>() {
            private long readAt = Long.MIN_VALUE;
            private Map<String, Jobs.Backlog> last = Map.of();

            @Override
            public synchronized Map<String, Jobs.Backlog> get() {
                long now = System.nanoTime();
                if (readAt == Long.MIN_VALUE || now - readAt > 1_000_000_000L) {
                    last = backlog.get();
                    readAt = now;
                }
                return last;
            }
        };
        for (String name : names) {
            gauge("apimodels_jobs_due", "Job runs due and not yet picked by any node, by job type", "job", name,
                    () -> cached.get().getOrDefault(name, Jobs.Backlog.NONE).due());
            gauge("apimodels_jobs_lag_seconds", "How late the oldest due and unpicked run of a job type is", "job", name,
                    () -> cached.get().getOrDefault(name, Jobs.Backlog.NONE).lag().toNanos() / 1e9);
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

    /**
     * Each route's circuit breaker as this node sees it: 0 closed, 1 half-open (the next call
     * probes), 2 open; by model and route. Read at each scrape, so routes the catalog drops go.
     */
    public void circuits(Supplier<List<Routing.RouteStatus>> routes) {
        this.circuits = routes;
    }

    public String scrape() {
        List<MultiGauge.Row<?>> rows = new java.util.ArrayList<>();
        for (Routing.RouteStatus r : circuits.get()) {
            int state = switch (r.circuit()) {
                case CLOSED -> 0;
                case HALF_OPEN -> 1;
                case OPEN -> 2;
            };
            rows.add(MultiGauge.Row.of(Tags.of("model", r.model(), "route", r.provider()), state));
        }
        circuitGauge.register(rows, true);
        return registry.scrape();
    }

    public void close() {
        gc.close();
        registry.close();
    }

    private static Duration[] durations(long... millis) {
        Duration[] out = new Duration[millis.length];
        for (int i = 0; i < millis.length; i++) {
            out[i] = Duration.ofMillis(millis[i]);
        }
        return out;
    }
}
