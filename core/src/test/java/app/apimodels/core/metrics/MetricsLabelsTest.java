package app.apimodels.core.metrics;

import app.apimodels.core.calllog.CallRecord;
import app.apimodels.spi.provider.Usage;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** Labels stay bounded: a model the catalog does not know is "other", a call that reached no route "none". */
class MetricsLabelsTest {

    private static CallRecord record(String model, String provider, int status) {
        return new CallRecord("req_1", 1, 2L, "chat.completions", model, provider, "up-model", false, status, null,
                0, 3, 1, Usage.tokens(4, 0, 5), false, 70);
    }

    @Test
    void anUnknownModelIsCountedAsOtherAndAMissingRouteAsNone() {
        Metrics metrics = new Metrics();
        try {
            metrics.knownModels("known"::equals);
            metrics.call(record("known", "up", 200), new CallTiming(2_000_000, 1_500_000, -1));
            metrics.call(record("retired-model", "up", 200));
            metrics.call(record("known", null, 402));

            Scrape s = Scrape.parse(metrics.scrape());
            assertThat(s.value("apimodels_calls_total", "model", "known", "route", "up", "status", "200")).contains(1.0);
            assertThat(s.value("apimodels_calls_total", "model", "other", "route", "up", "status", "200")).contains(1.0);
            assertThat(s.value("apimodels_calls_total", "model", "known", "route", "none", "status", "402")).contains(1.0);
            assertThat(s.samples()).noneMatch(x -> x.labels().containsValue("retired-model"));
            assertThat(s.value("apimodels_call_overhead_seconds_sum", "model", "known", "route", "up")).contains(0.0005);
            assertThat(s.value("apimodels_call_upstream_latency_seconds_count", "model", "other")).as("a task has no upstream timing")
                    .contains(0.0);
        } finally {
            metrics.close();
        }
    }
}
