package app.apimodels.bench;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.eclipse.jetty.http.HttpField;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpMethod;
import org.eclipse.jetty.http.HttpStatus;
import org.eclipse.jetty.http.PreEncodedHttpField;
import org.eclipse.jetty.http2.server.HTTP2CServerConnectionFactory;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.IteratingCallback;
import org.eclipse.jetty.util.Promise;
import org.eclipse.jetty.util.thread.Scheduler;

/**
 * An OpenAI-compatible upstream that answers from pre-encoded buffers, so that it costs far less
 * than the gateway under test.
 *
 * <p>Requests are not JSON-parsed: the body is only scanned for {@code "stream": true} and
 * {@code "include_usage": true}. A message whose text contains such a fragment would be taken
 * for the flag; the benchmark's bodies never do.
 *
 * <p>Everything is asynchronous (no thread sleeps while waiting out {@code --latency-ms} or
 * {@code --chunk-interval-ms}), so hundreds of slow, held-open streams cost only memory.
 */
public final class MockUpstream extends Handler.Abstract.NonBlocking {
    static final String MODEL = "mock-model";
    static final int PROMPT_TOKENS = 9;
    private static final String ID = "chatcmpl-mock";
    private static final String[] WORDS = {"The", " quick", " brown", " fox", " jumps", " over", " the", " lazy", " dog", "."};
    private static final Pattern STREAM_TRUE = Pattern.compile("\"stream\"\\s*:\\s*true");
    private static final Pattern INCLUDE_USAGE_TRUE = Pattern.compile("\"include_usage\"\\s*:\\s*true");
    private static final HttpField JSON = new PreEncodedHttpField(HttpHeader.CONTENT_TYPE, "application/json");
    private static final HttpField EVENT_STREAM = new PreEncodedHttpField(HttpHeader.CONTENT_TYPE, "text/event-stream");
    private static final HttpField NO_CACHE = new PreEncodedHttpField(HttpHeader.CACHE_CONTROL, "no-cache");

    private final long latencyMs;
    private final long chunkIntervalMs;
    private final ByteBuffer completion;
    private final ByteBuffer embedding;
    private final ByteBuffer models;
    private final ByteBuffer notFound;
    /** One SSE event per completion token, then the tail (usage event if asked for, and [DONE]). */
    private final ByteBuffer[] chunks;
    private final ByteBuffer tailWithUsage;
    private final ByteBuffer tailWithoutUsage;

    MockUpstream(int chunkCount, long latencyMs, long chunkIntervalMs) {
        this.latencyMs = latencyMs;
        this.chunkIntervalMs = chunkIntervalMs;
        StringBuilder text = new StringBuilder();
        chunks = new ByteBuffer[chunkCount];
        for (int i = 0; i < chunkCount; i++) {
            String word = WORDS[i % WORDS.length];
            text.append(word);
            String delta = (i == 0 ? "{\"role\":\"assistant\",\"content\":" : "{\"content\":") + quote(word) + "}";
            String finish = i == chunkCount - 1 ? "\"stop\"" : "null";
            chunks[i] = event(chunkJson("[{\"index\":0,\"delta\":" + delta + ",\"finish_reason\":" + finish + "}]", ""));
        }
        String usage = ",\"usage\":{\"prompt_tokens\":" + PROMPT_TOKENS + ",\"completion_tokens\":" + chunkCount
                + ",\"total_tokens\":" + (PROMPT_TOKENS + chunkCount) + "}";
        String done = "data: [DONE]\n\n";
        tailWithUsage = direct("data: " + chunkJson("[]", usage) + "\n\n" + done);
        tailWithoutUsage = direct(done);
        completion = direct("{\"id\":\"" + ID + "\",\"object\":\"chat.completion\",\"created\":1700000000,\"model\":\"" + MODEL
                + "\",\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":" + quote(text.toString())
                + "},\"finish_reason\":\"stop\"}]" + usage + "}");
        embedding = direct("{\"object\":\"list\",\"data\":[{\"object\":\"embedding\",\"index\":0,"
                + "\"embedding\":[0.0023,-0.0093,0.0158,-0.0071,0.0112,0.0041,-0.0135,0.0087]}],\"model\":\"" + MODEL
                + "\",\"usage\":{\"prompt_tokens\":5,\"total_tokens\":5}}");
        models = direct("{\"object\":\"list\",\"data\":[{\"id\":\"" + MODEL + "\",\"object\":\"model\",\"created\":1700000000,\"owned_by\":\"mock\"}]}");
        notFound = direct("{\"error\":{\"message\":\"no such route in the mock\",\"type\":\"invalid_request_error\",\"code\":\"not_found\",\"param\":null}}");
    }

    public static void main(String[] args) throws Exception {
        Options o = new Options(args, Set.of("port", "latency-ms", "chunks", "chunk-interval-ms"), Set.of());
        Server server = new Server();
        HttpConfiguration http = new HttpConfiguration();
        http.setSendServerVersion(false);
        http.setSendDateHeader(false);
        // No per-connection cache of parsed header fields: each is a trie of ~28 KiB, ten thousand
        // held-open connections ran a 1 GiB mock out of memory, and the mock reads no header.
        http.setHeaderCacheSize(0);
        // One acceptor and one selector: the mock shares two cores with the gateway and the load generator.
        // HTTP/1.1, and HTTP/2 for clients that start with its preface (h2c with prior knowledge),
        // as hosted APIs speak it: many streams share one connection.
        ServerConnector connector = new ServerConnector(server, 1, 1, new HttpConnectionFactory(http),
                new HTTP2CServerConnectionFactory(http));
        connector.setHost("127.0.0.1");
        connector.setPort(o.integer("port", 18081));
        // Thousands of held-open streams connect within seconds (the kernel caps this at somaxconn).
        connector.setAcceptQueueSize(4096);
        connector.setIdleTimeout(TimeUnit.MINUTES.toMillis(5));
        server.addConnector(connector);
        server.setHandler(new MockUpstream(o.integer("chunks", 10), o.integer("latency-ms", 0), o.integer("chunk-interval-ms", 0)));
        server.start();
        System.err.println("mock upstream listening on http://127.0.0.1:" + connector.getLocalPort() + "/v1");
        server.join();
    }

    @Override
    public boolean handle(Request request, Response response, Callback callback) {
        String path = Request.getPathInContext(request);
        boolean post = HttpMethod.POST.is(request.getMethod());
        if (post && path.equals("/v1/chat/completions")) {
            Content.Source.asString(request, StandardCharsets.UTF_8, Promise.from(
                    body -> later(request, () -> chat(request, response, callback, body)), callback::failed));
        } else if (post && path.equals("/v1/embeddings")) {
            Content.Source.consumeAll(request, Callback.from(
                    () -> later(request, () -> send(response, HttpStatus.OK_200, embedding, callback)), callback::failed));
        } else if (HttpMethod.GET.is(request.getMethod()) && path.equals("/v1/models")) {
            send(response, HttpStatus.OK_200, models, callback);
        } else {
            send(response, HttpStatus.NOT_FOUND_404, notFound, callback);
        }
        return true;
    }

    /** Runs the answer after the configured upstream latency, without holding a thread. */
    private void later(Request request, Runnable answer) {
        if (latencyMs > 0) {
            request.getComponents().getScheduler().schedule(answer, latencyMs, TimeUnit.MILLISECONDS);
        } else {
            answer.run();
        }
    }

    private void chat(Request request, Response response, Callback callback, String body) {
        if (!STREAM_TRUE.matcher(body).find()) {
            send(response, HttpStatus.OK_200, completion, callback);
            return;
        }
        response.setStatus(HttpStatus.OK_200);
        response.getHeaders().put(EVENT_STREAM).put(NO_CACHE);
        ByteBuffer tail = INCLUDE_USAGE_TRUE.matcher(body).find() ? tailWithUsage : tailWithoutUsage;
        new StreamWriter(response, request.getComponents().getScheduler(), tail, callback).iterate();
    }

    private static void send(Response response, int status, ByteBuffer body, Callback callback) {
        response.setStatus(status);
        response.getHeaders().put(JSON).put(HttpHeader.CONTENT_LENGTH, body.remaining());
        response.write(true, body.slice(), callback);
    }

    /** Writes the chunks one write each (as a real upstream flushes tokens), spaced by the interval. */
    private final class StreamWriter extends IteratingCallback {
        private final Response response;
        private final Scheduler scheduler;
        private final ByteBuffer tail;
        private final Callback done;
        private int next;

        StreamWriter(Response response, Scheduler scheduler, ByteBuffer tail, Callback done) {
            this.response = response;
            this.scheduler = scheduler;
            this.tail = tail;
            this.done = done;
        }

        @Override
        protected Action process() {
            int i = next++;
            if (i > chunks.length) {
                return Action.SUCCEEDED;
            }
            boolean last = i == chunks.length;
            ByteBuffer buffer = (last ? tail : chunks[i]).slice();
            if (i > 0 && !last && chunkIntervalMs > 0) {
                scheduler.schedule(() -> response.write(false, buffer, this), chunkIntervalMs, TimeUnit.MILLISECONDS);
            } else {
                response.write(last, buffer, this);
            }
            return Action.SCHEDULED;
        }

        @Override
        protected void onCompleteSuccess() {
            done.succeeded();
        }

        @Override
        protected void onCompleteFailure(Throwable cause) {
            done.failed(cause);
        }
    }

    private static String chunkJson(String choices, String usage) {
        return "{\"id\":\"" + ID + "\",\"object\":\"chat.completion.chunk\",\"created\":1700000000,\"model\":\"" + MODEL
                + "\",\"choices\":" + choices + usage + "}";
    }

    private static ByteBuffer event(String json) {
        return direct("data: " + json + "\n\n");
    }

    /** Read-only direct buffers: shared by all requests (each write takes a slice), no copy into the socket. */
    private static ByteBuffer direct(String s) {
        byte[] bytes = s.getBytes(StandardCharsets.UTF_8);
        return ByteBuffer.allocateDirect(bytes.length).put(bytes).flip().asReadOnlyBuffer();
    }

    /** The words are plain ASCII without quotes or backslashes, so quoting needs no escaping. */
    private static String quote(String s) {
        return "\"" + s + "\"";
    }
}
