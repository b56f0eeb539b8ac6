package app.apimodels.core.engine;

import app.apimodels.core.metrics.Scrape;
import app.apimodels.testkit.web.MockExchange;
import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static app.apimodels.core.engine.EngineHarness.CHAT_COST;
import static app.apimodels.core.engine.EngineHarness.WAIT;
import static app.apimodels.core.engine.EngineHarness.expect;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * /metrics after real calls through the engine: per endpoint, model, route and status, the
 * latency histograms, tokens and charges, the ledger's batches and leases, the job backlog, and
 * the JVM binders — and no label a client chose.
 */
class MetricsTest {

    private static final String CHAT = "{\"model\":\"test-chat\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"max_tokens\":50}";

    @TempDir
    static Path dir;
    private static EngineHarness h;
    private static Scrape scrape;

    @BeforeAll
    static void callsThenScrape() throws Exception {
        h = EngineHarness.start(dir);
        EngineHarness.User u = h.user(1_000_000);
        expect(h.post("/v1/chat/completions", u.key(), CHAT), 200);

        MockExchange stream = MockExchange.post("/v1/chat/completions").bearer(u.key())
                .json(CHAT.replace("{\"model\"", "{\"stream\":true,\"model\"")).build();
        h.engine.handle(stream);
        ScriptedProvider.OpenStream upstream = h.upstream.nextStream(WAIT);
        upstream.chunk("Hello");
        upstream.sink.onUsage(ScriptedProvider.CHAT_USAGE);
        upstream.sink.onComplete();
        assertThat(stream.awaitAnswer(WAIT).status()).isEqualTo(200);

        expect(h.post("/v1/chat/completions", u.key(), CHAT.replace("test-chat", "client-chosen-name")), 404);
        // Settlements are committed off the client's path; a balance read waits for them.
        assertThat(h.balance(u)).isEqualTo(1_000_000 - 2 * CHAT_COST);
        scrape = Scrape.parse(h.get("/metrics", null).bodyText());
    }

    @AfterAll
    static void stop() {
        h.close();
    }

    @Test
    void callsAreCountedByEndpointModelRouteAndStatus() {
        assertThat(scrape.value("apimodels_calls_total", "endpoint", "chat.completions", "model", "test-chat", "route", "up",
                "status", "200")).contains(2.0);
        assertThat(scrape.samples()).as("a model name the client typed is never a label")
                .noneMatch(s -> s.labels().containsValue("client-chosen-name"));
    }

    @Test
    void latenciesAreHistogramsAndOnlyStreamsHaveATimeToFirstToken() {
        String[] series = {"endpoint", "chat.completions", "model", "test-chat", "route", "up"};
        assertThat(scrape.value("apimodels_call_latency_seconds_count", series)).contains(2.0);
        assertThat(scrape.value("apimodels_call_upstream_latency_seconds_count", series)).contains(2.0);
        assertThat(scrape.value("apimodels_call_overhead_seconds_count", series)).contains(2.0);
        assertThat(scrape.value("apimodels_call_first_token_seconds_count", series)).contains(1.0);
        assertThat(scrape.matching("apimodels_call_overhead_seconds_bucket", series)).as("overhead buckets from 50 µs")
                .anySatisfy(s -> assertThat(s.labels()).containsEntry("le", "5.0E-5"));
        double total = scrape.value("apimodels_call_latency_seconds_sum", series).orElseThrow();
        double upstream = scrape.value("apimodels_call_upstream_latency_seconds_sum", series).orElseThrow();
        double overhead = scrape.value("apimodels_call_overhead_seconds_sum", series).orElseThrow();
        assertThat(upstream + overhead).isCloseTo(total, org.assertj.core.data.Offset.offset(1e-6));
    }

    @Test
    void tokensAndChargesAddUp() {
        String[] series = {"endpoint", "chat.completions", "model", "test-chat", "route", "up"};
        assertThat(scrape.value("apimodels_tokens_total", append(series, "direction", "input")))
                .contains(2.0 * ScriptedProvider.CHAT_USAGE.inputTokens());
        assertThat(scrape.value("apimodels_tokens_total", append(series, "direction", "output")))
                .contains(2.0 * ScriptedProvider.CHAT_USAGE.outputTokens());
        assertThat(scrape.value("apimodels_charged_micros_total", series)).contains(2.0 * CHAT_COST);
    }

    @Test
    void theLedgerReportsItsBatchesCommitsAndLeaseGrowth() {
        assertThat(scrape.value("apimodels_ledger_batch_ops_count", "writer", "settlements")).hasValueSatisfying(v -> assertThat(v).isPositive());
        assertThat(scrape.value("apimodels_ledger_batch_ops_sum", "writer", "settlements")).hasValueSatisfying(v -> assertThat(v).isGreaterThanOrEqualTo(2));
        assertThat(scrape.value("apimodels_ledger_commit_seconds_count", "writer", "settlements")).hasValueSatisfying(v -> assertThat(v).isPositive());
        assertThat(scrape.value("apimodels_ledger_lease_growth_micros_count")).hasValueSatisfying(v -> assertThat(v).isGreaterThanOrEqualTo(1));
        assertThat(scrape.value("apimodels_ledger_lease_growth_micros_sum")).hasValueSatisfying(v -> assertThat(v).isGreaterThanOrEqualTo(CHAT_COST));
    }

    @Test
    void everyRouteShowsItsCircuitBreaker() {
        assertThat(scrape.value("apimodels_route_circuit", "model", "test-chat", "route", "up")).contains(0.0);
        assertThat(scrape.value("apimodels_route_circuit", "model", "test-embedding", "route", "up")).contains(0.0);
    }

    @Test
    void everyJobTypeHasABacklogGauge() {
        assertThat(scrape.value("apimodels_jobs_due", "job", "retention")).isPresent();
        assertThat(scrape.value("apimodels_jobs_lag_seconds", "job", "retention")).isPresent();
    }

    @Test
    void theJvmIsMeasured() {
        assertThat(scrape.has("jvm_memory_used_bytes")).isTrue();
        assertThat(scrape.has("jvm_threads_live_threads")).isTrue();
        assertThat(scrape.has("jvm_gc_memory_allocated_bytes_total")).isTrue();
        assertThat(scrape.has("process_cpu_usage")).isTrue();
    }

    /** The sample Grafana dashboard queries only what /metrics serves (its file is read from the repository). */
    @Test
    void everyMetricTheGrafanaDashboardQueriesIsServed() throws Exception {
        JsonNode dashboard = EngineHarness.JSON.readTree(Path.of("..", "samples", "grafana", "apimodels.json").toFile());
        List<String> queries = new ArrayList<>();
        dashboard.get("panels").forEach(p -> p.path("targets").forEach(t -> queries.add(t.get("expr").asText())));
        dashboard.at("/templating/list").forEach(v -> {
            if (v.has("definition")) {
                queries.add(v.get("definition").asText());
            }
        });
        Set<String> names = new TreeSet<>();
        Matcher m = Pattern.compile("\\b(?:apimodels|jvm|process)_[a-z0-9_]+").matcher(String.join("\n", queries));
        while (m.find()) {
            names.add(m.group());
        }
        assertThat(queries).hasSizeGreaterThan(20);
        assertThat(names).hasSizeGreaterThan(20);
        assertThat(names).allSatisfy(name -> assertThat(scrape.has(name)).as("%s is served", name).isTrue());
    }

    private static String[] append(String[] a, String... more) {
        String[] out = java.util.Arrays.copyOf(a, a.length + more.length);
        System.arraycopy(more, 0, out, a.length, more.length);
        return out;
    }
}
