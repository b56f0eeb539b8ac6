package app.apimodels.bench.jmh;

import app.apimodels.core.calllog.CallRecord;
import app.apimodels.core.metrics.CallTiming;
import app.apimodels.core.metrics.Metrics;
import app.apimodels.spi.provider.Usage;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * What recording one finished call in the metrics costs on the relay's path: the engine's
 * {@link Metrics#call} (counter, four histograms, token and charge counters, meters looked up
 * once per label set) against the simplest Micrometer way of counting a call and timing it
 * (builder and registry lookup per call). Run:
 * {@code java -jar bench/target/apimodels-bench.jar jmh CallMetrics}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class CallMetrics {

    private final Metrics metrics = new Metrics();
    private final MeterRegistry registry = metrics.registry();
    private final CallRecord record = new CallRecord("req_1", 1, 2L, "chat.completions", "gpt-4o-mini", "openai",
            "gpt-4o-mini", false, 200, null, 0, 3, 1, Usage.tokens(120, 0, 40), false, 123);
    private final CallTiming timing = new CallTiming(2_400_000, 2_250_000, -1);

    {
        metrics.knownModels("gpt-4o-mini"::equals);
    }

    @TearDown
    public void close() {
        metrics.close();
    }

    @Benchmark
    @Threads(1)
    public void engineMetricsOneThread() {
        metrics.call(record, timing);
    }

    @Benchmark
    @Threads(2)
    public void engineMetricsTwoThreads() {
        metrics.call(record, timing);
    }

    /** A counter and a timer found through their builders on every call (how the engine counted calls before). */
    @Benchmark
    @Threads(1)
    public void builderLookupPerCall() {
        Counter.builder("baseline_calls").tags("endpoint", record.endpoint(), "model", record.model(),
                "status", Integer.toString(record.status())).register(registry).increment();
        Timer.builder("baseline_latency").tags("endpoint", record.endpoint(), "model", record.model())
                .register(registry).record(Duration.ofMillis(record.latencyMs()));
    }
}
