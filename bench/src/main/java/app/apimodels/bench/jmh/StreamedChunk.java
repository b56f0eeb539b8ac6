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
import org.openjdk.jmh.annotations.Param;
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
 * One streamed chunk relayed through the engine without sockets, for each {@link Shape} of stream
 * (OpenAI chat, Responses, Anthropic Messages passed through or as chat, Gemini as chat): the upstream's SSE bytes,
 * as the mock of bench/streams.sh (or the vendor) sends them, handed to the real provider's stream handler
 * as the HTTP transport would (SSE parsing, the chunk's text, finish reason and usage read), then
 * the engine's stream relay (the model name put back, the text kept for counting, the SSE frame
 * written) into an event stream that only counts the bytes. Each iteration is one long stream,
 * opened before it and ended with its usage and end marker (settled) after it; what is
 * measured is the per-chunk cost in between (all on the benchmark's thread, whose CPU time and
 * allocated bytes per chunk are printed after each iteration). Run with {@code -prof gc} for bytes per chunk:
 * {@code java -jar bench/target/apimodels-bench.jar jmh StreamedChunk -prof gc} (one shape: {@code -p shape=GEMINI_CHAT}).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"-Xmx1g"})
public class StreamedChunk {

    /**
     * The stream shapes relayed: the upstream's provider type, the endpoint called, the request, what
     * the upstream sends before the first measured chunk, one mid-stream chunk (one token of text, as
     * the vendor sends it), and the stream's end (with usage).
     */
    public enum Shape {
        /** OpenAI chat chunks, as bench MockUpstream (and OpenAI) sends them; the end is the include_usage chunk, then [DONE]. */
        CHAT("openai", "/v1/chat/completions", CHAT_REQUEST, "",
                "data: {\"id\":\"chatcmpl-mock\",\"object\":\"chat.completion.chunk\",\"created\":1700000000,"
                + "\"model\":\"upstream-m\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\" fox\"},\"finish_reason\":null}]}\n\n",
                "data: {\"id\":\"chatcmpl-mock\",\"object\":\"chat.completion.chunk\",\"created\":1700000000,"
                + "\"model\":\"upstream-m\",\"choices\":[],\"usage\":{\"prompt_tokens\":9,\"completion_tokens\":16,\"total_tokens\":25}}\n\n"
                + "data: [DONE]\n\n"),
        /** OpenAI's Responses API events, passed through; the end is response.completed with usage. */
        RESPONSES("openai", "/v1/responses", "{\"model\":\"m\",\"stream\":true,\"max_output_tokens\":16,\"input\":\"hello\"}",
                "event: response.created\ndata: {\"type\":\"response.created\",\"response\":{\"id\":\"resp_mock\",\"object\":\"response\","
                + "\"status\":\"in_progress\",\"model\":\"upstream-m\",\"output\":[]},\"sequence_number\":0}\n\n",
                "event: response.output_text.delta\ndata: {\"type\":\"response.output_text.delta\",\"item_id\":\"msg_mock\","
                + "\"output_index\":0,\"content_index\":0,\"delta\":\" fox\",\"logprobs\":[],\"sequence_number\":5}\n\n",
                "event: response.completed\ndata: {\"type\":\"response.completed\",\"response\":{\"id\":\"resp_mock\",\"object\":\"response\","
                + "\"status\":\"completed\",\"model\":\"upstream-m\",\"output\":[],\"usage\":{\"input_tokens\":9,"
                + "\"input_tokens_details\":{\"cached_tokens\":0},\"output_tokens\":16,\"output_tokens_details\":{\"reasoning_tokens\":0},"
                + "\"total_tokens\":25}},\"sequence_number\":9}\n\n"),
        /** Anthropic's Messages events, passed through for its own SDKs. */
        MESSAGES("anthropic", "/v1/messages", CHAT_REQUEST, Anthropic.START, Anthropic.DELTA, Anthropic.END),
        /** Anthropic's Messages events turned into OpenAI chat chunks. */
        ANTHROPIC_CHAT("anthropic", "/v1/chat/completions", CHAT_REQUEST, Anthropic.START, Anthropic.DELTA, Anthropic.END),
        /** Gemini's streamGenerateContent events (running usage totals on each) turned into OpenAI chat chunks. */
        GEMINI_CHAT("gemini", "/v1/chat/completions", CHAT_REQUEST, "",
                "data: {\"candidates\":[{\"content\":{\"parts\":[{\"text\":\" fox\"}],\"role\":\"model\"},\"index\":0}],"
                + "\"usageMetadata\":{\"promptTokenCount\":9,\"candidatesTokenCount\":3,\"totalTokenCount\":12},"
                + "\"modelVersion\":\"upstream-m\",\"responseId\":\"resp-mock\"}\r\n\r\n",
                "data: {\"candidates\":[{\"content\":{\"parts\":[{\"text\":\".\"}],\"role\":\"model\"},\"finishReason\":\"STOP\",\"index\":0}],"
                + "\"usageMetadata\":{\"promptTokenCount\":9,\"candidatesTokenCount\":16,\"totalTokenCount\":25},"
                + "\"modelVersion\":\"upstream-m\",\"responseId\":\"resp-mock\"}\r\n\r\n");

        final String providerType;
        final String path;
        final String request;
        final byte[] start;
        final byte[] chunk;
        final byte[] end;

        Shape(String providerType, String path, String request, String start, String chunk, String end) {
            this.providerType = providerType;
            this.path = path;
            this.request = request;
            this.start = start.getBytes(StandardCharsets.UTF_8);
            this.chunk = chunk.getBytes(StandardCharsets.UTF_8);
            this.end = end.getBytes(StandardCharsets.UTF_8);
        }
    }

    private static final String CHAT_REQUEST = "{\"model\":\"m\",\"stream\":true,\"max_tokens\":16,"
            + "\"messages\":[{\"role\":\"user\",\"content\":\"hello\"}]}";

    /** Anthropic's events, as its API (and testkit MockAnthropicUpstream) sends them. */
    private static final class Anthropic {
        static final String START = "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\"msg_mock\","
                + "\"type\":\"message\",\"role\":\"assistant\",\"model\":\"upstream-m\",\"content\":[],\"stop_reason\":null,"
                + "\"stop_sequence\":null,\"usage\":{\"input_tokens\":9,\"output_tokens\":1}}}\n\n"
                + "event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":0,"
                + "\"content_block\":{\"type\":\"text\",\"text\":\"\"}}\n\n";
        static final String DELTA = "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,"
                + "\"delta\":{\"type\":\"text_delta\",\"text\":\" fox\"}}\n\n";
        static final String END = "event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":0}\n\n"
                + "event: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\","
                + "\"stop_sequence\":null},\"usage\":{\"output_tokens\":16}}\n\n"
                + "event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n";
    }

    /** The transport's "read on": nothing to do here, the next piece is the next operation. */
    private static final Runnable READ_ON = () -> { };

    @Param
    public Shape shape;

    private final BenchEngine.Upstream upstream = new BenchEngine.Upstream(null);
    private ByteBuffer chunk;
    private BenchEngine bench;
    private Client client;
    private HttpBodyHandler handler;

    @Setup(Level.Trial)
    public void setUp() throws IOException {
        bench = new BenchEngine(upstream, shape.providerType, Map.of());
        chunk = ByteBuffer.wrap(shape.chunk).asReadOnlyBuffer();
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
        MockExchange request = MockExchange.post(shape.path).bearer(bench.key).json(shape.request).build();
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
        handler.onData(ByteBuffer.wrap(shape.start), READ_ON);
    }

    @TearDown(Level.Iteration)
    public void endStream() {
        handler.onData(ByteBuffer.wrap(shape.end), READ_ON);
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
