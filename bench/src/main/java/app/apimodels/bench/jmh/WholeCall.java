package app.apimodels.bench.jmh;

import app.apimodels.testkit.web.MockExchange;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * One whole non-streamed chat call through the engine as the quickstart embeds it, without the
 * network: the request handed over as an in-memory exchange (the testkit's {@link MockExchange}),
 * routed, authenticated from the key cache, parsed, held from the account's budget lease, sent by
 * the real OpenAI provider to an in-memory transport answering at once, rewritten, answered,
 * settled, metered and logged (the settlement writer posts to the engine's own H2 file on its thread).
 * What is measured is the engine's own per-call cost: run with {@code -prof gc} for bytes per call.
 * Run: {@code java -jar bench/target/apimodels-bench.jar jmh WholeCall -prof gc}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"-Xmx1g"})
public class WholeCall {

    private static final String REQUEST = "{\"model\":\"m\",\"messages\":[{\"role\":\"system\",\"content\":"
            + "\"You are a helpful assistant.\"},{\"role\":\"user\",\"content\":\"Summarise the plot of Hamlet in three "
            + "sentences, please, and keep it short.\"}],\"max_tokens\":256,\"temperature\":0.2}";
    /** What the bench's mock upstream answers (MockUpstream), usage included. */
    private static final byte[] ANSWER = ("{\"id\":\"chatcmpl-bench\",\"object\":\"chat.completion\",\"created\":1700000000,"
            + "\"model\":\"upstream-m\",\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\"Hello from the mock\"},"
            + "\"finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":11,\"completion_tokens\":5,\"total_tokens\":16}}")
            .getBytes(StandardCharsets.UTF_8);

    /** The settlement writer's linger (the engine's default is 5 ms); longer shows its wake-ups per batch more plainly. */
    @Param("5")
    public String settleLingerMs;

    private BenchEngine bench;

    @Setup(Level.Trial)
    public void setUp() throws IOException {
        bench = new BenchEngine(new BenchEngine.Upstream(ANSWER), Map.of("apimodels.ledger.settle-linger-ms", settleLingerMs));
    }

    @TearDown(Level.Trial)
    public void tearDown() throws IOException {
        bench.close();
    }

    /**
     * Bytes allocated by the calling thread per call, printed after each iteration: the request's
     * own path (everything a server's request thread does here), without the settlement writer's
     * database work that {@code -prof gc} counts too.
     */
    @State(Scope.Thread)
    public static class RequestThread {
        private static final com.sun.management.ThreadMXBean THREADS =
                (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
        long calls;
        long bytesAtStart;
        long cpuAtStart;
        Map<String, Long> switchesAtStart;

        @Setup(Level.Iteration)
        public void start() {
            calls = 0;
            switchesAtStart = contextSwitches();
            bytesAtStart = THREADS.getCurrentThreadAllocatedBytes();
            cpuAtStart = THREADS.getCurrentThreadCpuTime();
        }

        @TearDown(Level.Iteration)
        public void report() {
            long bytes = THREADS.getCurrentThreadAllocatedBytes() - bytesAtStart;
            long cpu = THREADS.getCurrentThreadCpuTime() - cpuAtStart;
            StringBuilder wakeUps = new StringBuilder();
            contextSwitches().forEach((name, n) -> {
                long woken = n - switchesAtStart.getOrDefault(name, 0L);
                if (calls > 0 && woken * 100 >= calls) { // threads woken for at least one call in a hundred
                    wakeUps.append(String.format(" %s %.2f", name, (double) woken / calls));
                }
            });
            System.out.printf(" [request thread: %,d B/call; %.1f µs CPU/call; %,d calls; wake-ups per call:%s] ",
                    calls == 0 ? 0 : bytes / calls, calls == 0 ? 0 : cpu / 1000.0 / calls, calls, wakeUps);
        }

        /**
         * The voluntary context switches so far of this JVM's threads (Linux), summed by thread
         * name: each one a thread that blocked and was woken, so hand-offs between threads show
         * here whatever the machine's load. Empty where /proc is not there.
         */
        static Map<String, Long> contextSwitches() {
            Map<String, Long> byName = new java.util.TreeMap<>();
            Path tasks = Path.of("/proc/self/task");
            if (!Files.isDirectory(tasks)) {
                return byName;
            }
            try (var threads = Files.list(tasks)) {
                for (Path task : (Iterable<Path>) threads::iterator) {
                    try {
                        String name = "?";
                        for (String line : Files.readAllLines(task.resolve("status"))) {
                            if (line.startsWith("Name:")) {
                                name = line.substring(5).trim().replaceAll("[-_ ]?\\d+$", ""); // pool threads as one
                            } else if (line.startsWith("voluntary_ctxt_switches:")) {
                                byName.merge(name, Long.parseLong(line.substring(line.indexOf(':') + 1).trim()), Long::sum);
                            }
                        }
                    } catch (IOException | java.io.UncheckedIOException ended) {
                        // the thread ended meanwhile
                    }
                }
            } catch (IOException e) {
                return byName;
            }
            return byName;
        }
    }

    @Benchmark
    public int chatCompletion(RequestThread thread) {
        thread.calls++;
        MockExchange.Answer answer = bench.send(MockExchange.post("/v1/chat/completions").bearer(bench.key).json(REQUEST));
        if (answer.status() != 200) {
            throw new IllegalStateException("the call failed: " + answer);
        }
        return answer.body().length;
    }
}
