package app.apimodels.bench.jmh;

import app.apimodels.spi.http.HttpBodyHandler;
import app.apimodels.spi.web.EventStream;
import app.apimodels.spi.web.ForwardingExchange;
import app.apimodels.testkit.web.MockExchange;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * One streamed chat chunk relayed through the engine without sockets: the upstream's SSE bytes,
 * as the mock of bench/streams.sh sends them, handed to the real OpenAI provider's stream handler
 * as the HTTP transport would (SSE parsing, the chunk's text, finish reason and usage read), then
 * the engine's stream relay (the model name put back, the text kept for counting, the SSE frame
 * written) into an event stream that only counts the bytes. Each iteration is one long stream,
 * opened before it and ended with a usage chunk and {@code [DONE]} (settled) after it; what is
 * measured is the per-chunk cost in between (all on the benchmark's thread, whose CPU time and
 * allocated bytes per chunk are printed after each iteration). Run with {@code -prof gc} for bytes per chunk:
 * {@code java -jar bench/target/apimodels-bench.jar jmh StreamedChunk -prof gc}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"-Xmx1g"})
public class StreamedChunk {

    private static final String REQUEST = "{\"model\":\"m\",\"stream\":true,\"max_tokens\":16,"
            + "\"messages\":[{\"role\":\"user\",\"content\":\"hello\"}]}";
    /** A mid-stream chunk as bench MockUpstream (and OpenAI) sends one: one token of text, no finish reason. */
    private static final byte[] CHUNK = ("data: {\"id\":\"chatcmpl-mock\",\"object\":\"chat.completion.chunk\",\"created\":1700000000,"
            + "\"model\":\"upstream-m\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\" fox\"},\"finish_reason\":null}]}\n\n")
            .getBytes(StandardCharsets.UTF_8);
    /** The stream's end: the usage chunk asked for with include_usage, then [DONE]. */
    private static final byte[] END = ("data: {\"id\":\"chatcmpl-mock\",\"object\":\"chat.completion.chunk\",\"created\":1700000000,"
            + "\"model\":\"upstream-m\",\"choices\":[],\"usage\":{\"prompt_tokens\":9,\"completion_tokens\":16,\"total_tokens\":25}}\n\n"
            + "data: [DONE]\n\n").getBytes(StandardCharsets.UTF_8);
    /** The transport's "read on": nothing to do here, the next piece is the next operation. */
    private static final Runnable READ_ON = () -> { };

    private final BenchEngine.Upstream upstream = new BenchEngine.Upstream(null);
    private final ByteBuffer chunk = ByteBuffer.wrap(CHUNK).asReadOnlyBuffer();
    private BenchEngine bench;
    private Client client;
    private HttpBodyHandler handler;

    @Setup(Level.Trial)
    public void setUp() throws IOException {
        bench = new BenchEngine(upstream, Map.of());
    }

    @TearDown(Level.Trial)
    public void tearDown() throws IOException {
        bench.close();
    }

    @Setup(Level.Iteration)
    public void openStream() throws Exception {
        CompletableFuture<HttpBodyHandler> opened = new CompletableFuture<>();
        upstream.opened = opened;
        client = new Client();
        MockExchange request = MockExchange.post("/v1/chat/completions").bearer(bench.key).json(REQUEST).build();
        bench.handle(new ForwardingExchange(request) {
            @Override
            public EventStream openEventStream() {
                return client;
            }
        });
        try {
            handler = opened.get(10, TimeUnit.SECONDS); // the engine holds the call's credit first, on its own thread
        } catch (TimeoutException e) {
            throw new IllegalStateException("the engine did not call the upstream: " + request.awaitAnswer(Duration.ofSeconds(1)));
        }
        handler.onHead(200, Map.of("content-type", "text/event-stream"));
    }

    @TearDown(Level.Iteration)
    public void endStream() {
        handler.onData(ByteBuffer.wrap(END), READ_ON);
        handler.onComplete();
        if (!client.closed || client.bytes == 0) {
            throw new IllegalStateException("the stream did not end well: " + client.bytes + " bytes, closed " + client.closed);
        }
    }

    /** The thread's own CPU time and allocation per chunk are printed after each iteration: a loaded machine moves ns/op far more. */
    @Benchmark
    public long relayOneChunk(WholeCall.RequestThread thread) {
        thread.calls++;
        chunk.rewind();
        handler.onData(chunk, READ_ON);
        return client.bytes;
    }

    /** The client's side: counts what it is sent, takes it at once. */
    static final class Client implements EventStream {
        long bytes;
        boolean closed;

        @Override
        public boolean send(byte[] frame) {
            bytes += frame.length;
            return true;
        }

        @Override
        public void close() {
            closed = true;
        }

        @Override
        public void onClientGone(Runnable action) {
        }
    }
}
