package app.apimodels.testkit;

import app.apimodels.spi.http.Cancellable;
import app.apimodels.spi.http.HttpBodyHandler;
import app.apimodels.spi.http.HttpRequestSpec;
import app.apimodels.spi.http.HttpResponseData;
import app.apimodels.spi.http.HttpTransport;
import app.apimodels.spi.http.TransportException;
import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.http.Fault;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.IntStream;

import static app.apimodels.testkit.Conditions.await;
import static app.apimodels.testkit.Conditions.closedPort;
import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.absent;
import static com.github.tomakehurst.wiremock.client.WireMock.equalTo;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.getRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The behaviour every {@link HttpTransport} must show, checked against a real HTTP server
 * (WireMock) including its faults. Extend it in the implementation's tests:
 *
 * <pre>{@code
 * class MyTransportTest extends HttpTransportContract {
 *     protected HttpTransport createTransport() { return new MyTransport(TransportOptions.defaults()); }
 * }
 * }</pre>
 *
 * Beyond the interface's javadoc, it holds transports to what providers rely on: failed futures
 * carry the {@link TransportException} itself (not wrapped); headers the transport manages
 * (Host, Content-Length, Connection) are ignored rather than rejected; nothing is added that
 * changes the answer (no Accept-Encoding, no redirect or authentication handling), so a 401 or
 * 503 is an ordinary response; a stream's head must come within {@code timeout} and its body may
 * not fall silent for longer than {@code idleTimeout}.
 *
 * <p>One transport serves all tests of a class, as in production, so the tests also show that a
 * transport stays usable after timeouts, resets and cancelled streams. Waits are on conditions
 * with deadlines, never on elapsed time.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
public abstract class HttpTransportContract {

    private static final Duration SHORT = Duration.ofMillis(300);
    private static final Duration LONG = Duration.ofSeconds(10);
    /** How long the server delays when a test needs it to be slower than {@link #SHORT}. */
    private static final int SLOW_MILLIS = 3_000;

    private WireMockServer server;
    private HttpTransport transport;

    /** A new transport with default options; the contract closes it. */
    protected abstract HttpTransport createTransport();

    @BeforeAll
    void startServerAndTransport() {
        server = new WireMockServer(options().dynamicPort().gzipDisabled(true));
        server.start();
        transport = createTransport();
    }

    @AfterAll
    void stopServerAndTransport() {
        if (transport != null) {
            transport.close();
        }
        if (server != null) {
            server.stop();
        }
    }

    @BeforeEach
    void resetServer() {
        server.resetAll();
    }

    // ---- buffered exchanges -------------------------------------------------------------

    @Test
    void bufferedPostSendsHeadersAndBodyAndReturnsTheResponse() throws Exception {
        server.stubFor(post("/echo").withHeader("X-Test", equalTo("abc"))
                .withRequestBody(equalTo("{\"q\":\"é\"}"))
                .willReturn(aResponse().withStatus(201).withHeader("X-Reply", "yes")
                        .withHeader("Content-Type", "application/json").withBody("{\"ok\":true}")));

        HttpResponseData response = await(transport.send(HttpRequestSpec.postJson(uri("/echo"),
                Map.of("X-Test", "abc"), utf8("{\"q\":\"é\"}"), LONG)));

        assertThat(response.status()).isEqualTo(201);
        assertThat(response.header("x-reply")).isEqualTo("yes");
        assertThat(response.headers()).allSatisfy((name, value) -> assertThat(name).isLowerCase());
        assertThat(response.bodyText()).isEqualTo("{\"ok\":true}");
        server.verify(postRequestedFor(urlEqualTo("/echo"))
                .withHeader("Content-Type", equalTo("application/json")));
    }

    @Test
    void bufferedGetKeepsTheQuery() throws Exception {
        server.stubFor(get("/models?page=2").willReturn(aResponse().withBody("models")));

        HttpResponseData response = await(transport.send(HttpRequestSpec.get(uri("/models?page=2"),
                Map.of("Accept", "text/plain"), LONG)));

        assertThat(response.status()).isEqualTo(200);
        assertThat(response.bodyText()).isEqualTo("models");
        // No Accept-Encoding unless the caller asks: providers hand bodies on as they came.
        server.verify(getRequestedFor(urlEqualTo("/models?page=2")).withHeader("Accept", equalTo("text/plain"))
                .withHeader("Accept-Encoding", absent()));
    }

    @Test
    void headersTheTransportManagesItselfAreIgnoredNotRejected() throws Exception {
        server.stubFor(post("/managed").willReturn(aResponse().withBody("fine")));

        HttpResponseData response = await(transport.send(HttpRequestSpec.postJson(uri("/managed"),
                Map.of("Host", "elsewhere.example", "Content-Length", "999", "Connection", "close"),
                utf8("{}"), LONG)));

        assertThat(response.bodyText()).isEqualTo("fine");
        // The server's name and port come from Host, or from :authority over HTTP/2: the URI's in both.
        var received = server.findAll(postRequestedFor(urlEqualTo("/managed")));
        assertThat(received).singleElement().satisfies(r -> {
            assertThat(r.getHost()).isEqualTo("localhost");
            assertThat(r.getPort()).isEqualTo(server.port());
            assertThat(r.getHeader("Content-Length")).isEqualTo("2");
        });
    }

    @Test
    void errorStatusIsAResponseNotAFailure() throws Exception {
        server.stubFor(post("/fail").willReturn(aResponse().withStatus(503).withBody("{\"error\":{}}")));
        // A bare 401 (no WWW-Authenticate, as many APIs send it) is an answer too, not a challenge.
        server.stubFor(post("/denied").willReturn(aResponse().withStatus(401).withBody("denied")));

        HttpResponseData failed = await(transport.send(HttpRequestSpec.postJson(uri("/fail"), Map.of(),
                utf8("{}"), LONG)));
        HttpResponseData denied = await(transport.send(HttpRequestSpec.postJson(uri("/denied"), Map.of(),
                utf8("{}"), LONG)));

        assertThat(failed.status()).isEqualTo(503);
        assertThat(failed.bodyText()).isEqualTo("{\"error\":{}}");
        assertThat(denied.status()).isEqualTo(401);
        assertThat(denied.bodyText()).isEqualTo("denied");
    }

    @Test
    void concurrentRequestsAllComplete() throws Exception {
        server.stubFor(post("/many").willReturn(aResponse().withFixedDelay(50).withBody("ok")));

        List<CompletableFuture<HttpResponseData>> calls = IntStream.range(0, 40)
                .mapToObj(i -> transport.send(HttpRequestSpec.postJson(uri("/many"), Map.of(), utf8("{}"), LONG)))
                .toList();

        for (CompletableFuture<HttpResponseData> call : calls) {
            assertThat(await(call).bodyText()).isEqualTo("ok");
        }
    }

    @Test
    void refusedConnectionFailsWithConnect() {
        URI closed = URI.create("http://127.0.0.1:" + closedPort() + "/x");

        TransportException failure = failureOf(transport.send(HttpRequestSpec.get(closed, Map.of(), LONG)));
        assertThat(failure.kind()).isEqualTo(TransportException.Kind.CONNECT);

        Recorder recorder = new Recorder();
        transport.stream(HttpRequestSpec.get(closed, Map.of(), LONG), recorder);
        assertThat(recorder.awaitError()).isInstanceOfSatisfying(TransportException.class,
                e -> assertThat(e.kind()).isEqualTo(TransportException.Kind.CONNECT));
        assertThat(recorder.heads()).isZero();
    }

    /**
     * Responses are handed back on threads without a context class loader: inside a server, a thread
     * the server starts from one of them would otherwise inherit the application's loader and keep it
     * alive after the application stopped. (This transport was made on a thread that has one.)
     */
    @Test
    void handsResponsesBackOnThreadsWithoutAContextClassLoader() throws Exception {
        server.stubFor(get("/loader").willReturn(aResponse().withBody("x")));
        CompletableFuture<List<ClassLoader>> seen = new CompletableFuture<>();
        transport.stream(HttpRequestSpec.get(uri("/loader"), Map.of(), LONG), new HttpBodyHandler() {
            @Override
            public void onHead(int status, Map<String, String> headers) {
                List<ClassLoader> loader = new ArrayList<>();
                loader.add(Thread.currentThread().getContextClassLoader());
                seen.complete(loader);
            }

            @Override
            public void onData(ByteBuffer data) {
            }

            @Override
            public void onComplete() {
            }

            @Override
            public void onError(Throwable error) {
                seen.completeExceptionally(error);
            }
        });
        assertThat(await(seen)).containsExactly((ClassLoader) null);
    }

    @Test
    void slowResponseFailsWithTimeout() {
        server.stubFor(get("/slow").willReturn(aResponse().withFixedDelay(SLOW_MILLIS).withBody("late")));

        TransportException failure = failureOf(transport.send(HttpRequestSpec.get(uri("/slow"), Map.of(), SHORT)));
        assertThat(failure.kind()).isEqualTo(TransportException.Kind.TIMEOUT);
    }

    @Test
    void streamWithoutHeadInTimeFailsWithTimeout() {
        server.stubFor(get("/slow").willReturn(aResponse().withFixedDelay(SLOW_MILLIS).withBody("late")));

        Recorder recorder = new Recorder();
        transport.stream(new HttpRequestSpec("GET", uri("/slow"), Map.of(), null, SHORT, LONG), recorder);

        assertThat(recorder.awaitError()).isInstanceOfSatisfying(TransportException.class,
                e -> assertThat(e.kind()).isEqualTo(TransportException.Kind.TIMEOUT));
        assertThat(recorder.heads()).isZero();
    }

    @Test
    void streamSilentLongerThanIdleTimeoutFailsWithTimeout() {
        // WireMock sends the head with the first piece after SLOW_MILLIS / 2, then stays silent
        // for another SLOW_MILLIS / 2 before the second: far longer than the idle timeout.
        server.stubFor(get("/stall").willReturn(aResponse().withBody("first-half|second-half")
                .withChunkedDribbleDelay(2, SLOW_MILLIS)));

        Recorder recorder = new Recorder();
        transport.stream(new HttpRequestSpec("GET", uri("/stall"), Map.of(), null, LONG, SHORT), recorder);

        assertThat(recorder.awaitError()).isInstanceOfSatisfying(TransportException.class,
                e -> assertThat(e.kind()).isEqualTo(TransportException.Kind.TIMEOUT));
        assertThat(recorder.heads()).isEqualTo(1);
        assertThat(recorder.body()).doesNotContain("second-half");
    }

    @Test
    void connectionResetIsAFailure() {
        server.stubFor(get("/reset").willReturn(aResponse().withFault(Fault.CONNECTION_RESET_BY_PEER)));

        TransportException failure = failureOf(transport.send(HttpRequestSpec.get(uri("/reset"), Map.of(), LONG)));
        assertThat(failure.kind()).isIn(TransportException.Kind.RESET, TransportException.Kind.OTHER);

        Recorder recorder = new Recorder();
        transport.stream(HttpRequestSpec.get(uri("/reset"), Map.of(), LONG), recorder);
        assertThat(recorder.awaitError()).isInstanceOfSatisfying(TransportException.class,
                e -> assertThat(e.kind()).isIn(TransportException.Kind.RESET, TransportException.Kind.OTHER));
    }

    // ---- streams ------------------------------------------------------------------------

    @Test
    void streamDeliversTheBodyPieceByPieceAsItArrives() {
        String body = IntStream.range(0, 8).mapToObj(i -> "piece-" + i + ";").reduce("", String::concat);
        server.stubFor(post("/stream").willReturn(aResponse().withHeader("Content-Type", "text/event-stream")
                .withBody(body).withChunkedDribbleDelay(8, 800)));

        Recorder recorder = new Recorder();
        transport.stream(HttpRequestSpec.postJson(uri("/stream"), Map.of(), utf8("{}"), LONG), recorder);

        recorder.awaitDone();
        assertThat(recorder.status()).isEqualTo(200);
        assertThat(recorder.headers()).containsEntry("content-type", "text/event-stream");
        // The first piece reached the handler while the server was still sending the rest.
        assertThat(recorder.bytesAtFirstData()).isPositive().isLessThan(body.length());
        assertThat(recorder.dataCalls()).isGreaterThan(1);
        assertThat(recorder.body()).isEqualTo(body);
        assertThat(recorder.events()).first().isEqualTo("head");
        assertThat(recorder.events()).last().isEqualTo("complete");
        recorder.assertWellBehaved();
    }

    @Test
    void streamWithErrorStatusDeliversHeadAndBody() {
        server.stubFor(post("/limited").willReturn(aResponse().withStatus(429).withBody("slow down")));

        Recorder recorder = new Recorder();
        transport.stream(HttpRequestSpec.postJson(uri("/limited"), Map.of(), utf8("{}"), LONG), recorder);

        recorder.awaitDone();
        assertThat(recorder.status()).isEqualTo(429);
        assertThat(recorder.body()).isEqualTo("slow down");
        assertThat(recorder.events()).last().isEqualTo("complete");
        recorder.assertWellBehaved();
    }

    @Test
    void cancelledStreamGetsNoFurtherCallbacks() {
        server.stubFor(get("/long").willReturn(aResponse()
                .withBody(IntStream.range(0, 10).mapToObj(i -> "chunk-" + i).reduce("", String::concat))
                .withChunkedDribbleDelay(10, 1_000)));

        Recorder cancelled = new Recorder();
        CompletableFuture<Cancellable> exchange = new CompletableFuture<>();
        cancelled.onFirstData(() -> exchange.join().cancel());
        exchange.complete(transport.stream(HttpRequestSpec.get(uri("/long"), Map.of(), LONG), cancelled));
        cancelled.awaitFirstData();

        // A second, uncancelled stream of the same length started later: once it has completed,
        // the server has long finished sending the first one, so any late callback would be in.
        Recorder fence = new Recorder();
        transport.stream(HttpRequestSpec.get(uri("/long"), Map.of(), LONG), fence);
        fence.awaitDone();
        exchange.join().cancel(); // a second cancel changes nothing either

        assertThat(cancelled.events()).containsExactly("head", "data");
        assertThat(cancelled.dataCalls()).isEqualTo(1);
        assertThat(fence.events()).last().isEqualTo("complete");
    }

    @Test
    void brokenStreamFailsOnce() {
        server.stubFor(get("/broken").willReturn(aResponse().withFault(Fault.MALFORMED_RESPONSE_CHUNK)));

        Recorder recorder = new Recorder();
        transport.stream(HttpRequestSpec.get(uri("/broken"), Map.of(), LONG), recorder);

        assertThat(recorder.awaitError()).isInstanceOf(TransportException.class);
        assertThat(recorder.events()).doesNotContain("complete");
        recorder.assertWellBehaved();
        assertThat(failureOf(transport.send(HttpRequestSpec.get(uri("/broken"), Map.of(), LONG))))
                .isInstanceOf(TransportException.class);
    }

    @Test
    void finishedExchangesLeaveTheirConnectionsUsable() throws Exception {
        server.stubFor(post("/events").willReturn(aResponse().withBody("data: 1\n\ndata: 2\n\n")));
        server.stubFor(post("/fine").willReturn(aResponse().withBody("fine")));

        // Connections go back to the pool after each exchange; one closed behind the pool's
        // back makes a following request fail.
        for (int i = 0; i < 30; i++) {
            Recorder recorder = new Recorder();
            transport.stream(HttpRequestSpec.postJson(uri("/events"), Map.of(), utf8("{}"), LONG), recorder);
            recorder.awaitDone();
            assertThat(recorder.events()).as("stream %d", i).containsExactly("head", "data", "complete");
            assertThat(await(transport.send(HttpRequestSpec.postJson(uri("/fine"), Map.of(), utf8("{}"), LONG)))
                    .bodyText()).isEqualTo("fine");
        }
    }

    @Test
    void transportStillWorksAfterFailures() throws Exception {
        server.stubFor(get("/reset").willReturn(aResponse().withFault(Fault.CONNECTION_RESET_BY_PEER)));
        server.stubFor(get("/fine").willReturn(aResponse().withBody("fine")));
        failureOf(transport.send(HttpRequestSpec.get(uri("/reset"), Map.of(), LONG)));

        assertThat(await(transport.send(HttpRequestSpec.get(uri("/fine"), Map.of(), LONG))).bodyText())
                .isEqualTo("fine");
    }

    // ---- helpers ------------------------------------------------------------------------

    private URI uri(String pathAndQuery) {
        return URI.create(server.baseUrl() + pathAndQuery);
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static TransportException failureOf(CompletableFuture<?> future) {
        return Conditions.failureOf(future, TransportException.class);
    }

    /**
     * Records what a transport delivers and checks the {@link HttpBodyHandler} rules: head first,
     * one terminal call last, never two callbacks at once.
     */
    private static final class Recorder implements HttpBodyHandler {
        private final List<String> events = new CopyOnWriteArrayList<>();
        private final StringBuffer body = new StringBuffer();
        private final AtomicInteger inside = new AtomicInteger();
        private final AtomicBoolean overlapped = new AtomicBoolean();
        private final AtomicInteger dataCalls = new AtomicInteger();
        private final AtomicInteger bytesSoFar = new AtomicInteger();
        private final CountDownLatch firstData = new CountDownLatch(1);
        private final CountDownLatch done = new CountDownLatch(1);
        private volatile Runnable onFirstData = () -> { };
        private volatile int status;
        private volatile Map<String, String> headers = Map.of();
        private volatile int bytesAtFirstData = -1;
        private volatile Throwable error;

        void onFirstData(Runnable action) {
            onFirstData = action;
        }

        @Override
        public void onHead(int status, Map<String, String> headers) {
            enter("head");
            this.status = status;
            this.headers = headers;
            leave();
        }

        @Override
        public void onData(ByteBuffer data) {
            enter("data");
            dataCalls.incrementAndGet();
            int bytes = bytesSoFar.addAndGet(data.remaining());
            body.append(StandardCharsets.UTF_8.decode(data));
            if (bytesAtFirstData < 0) {
                bytesAtFirstData = bytes;
                onFirstData.run();
                firstData.countDown();
            }
            leave();
        }

        @Override
        public void onComplete() {
            enter("complete");
            leave();
            done.countDown();
        }

        @Override
        public void onError(Throwable error) {
            enter("error");
            this.error = error;
            leave();
            done.countDown();
        }

        private void enter(String event) {
            if (inside.incrementAndGet() != 1) {
                overlapped.set(true);
            }
            // Consecutive data pieces are collapsed so event lists stay readable.
            if (!(event.equals("data") && !events.isEmpty() && events.get(events.size() - 1).equals("data"))) {
                events.add(event);
            }
        }

        private void leave() {
            inside.decrementAndGet();
        }

        int dataCalls() {
            return dataCalls.get();
        }

        void awaitDone() {
            Conditions.await(done, "the stream to end");
        }

        void awaitFirstData() {
            Conditions.await(firstData, "the first piece of the body");
        }

        Throwable awaitError() {
            awaitDone();
            assertThat(error).as("stream error (events %s)", events).isNotNull();
            return error;
        }

        List<String> events() {
            return new ArrayList<>(events);
        }

        int heads() {
            return (int) events.stream().filter("head"::equals).count();
        }

        int status() {
            return status;
        }

        Map<String, String> headers() {
            return headers;
        }

        int bytesAtFirstData() {
            return bytesAtFirstData;
        }

        String body() {
            return body.toString();
        }

        void assertWellBehaved() {
            assertThat(overlapped).as("callbacks overlapped").isFalse();
            List<String> seen = events();
            assertThat(seen.stream().filter(e -> e.equals("complete") || e.equals("error")).count())
                    .as("terminal callbacks in %s", seen).isEqualTo(1);
            assertThat(seen.get(seen.size() - 1)).isIn("complete", "error");
            assertThat(seen.indexOf("head")).isLessThanOrEqualTo(0);
        }
    }
}
