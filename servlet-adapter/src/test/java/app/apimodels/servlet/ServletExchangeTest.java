package app.apimodels.servlet;

import app.apimodels.spi.web.BodyLimits;
import app.apimodels.spi.web.EventStream;
import app.apimodels.spi.web.Exchange;
import app.apimodels.spi.web.Response;
import app.apimodels.testkit.web.ExchangeContract;
import app.apimodels.testkit.web.HttpClientConnection;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.lang.ref.WeakReference;
import java.net.Socket;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.IntStream;
import java.util.stream.Stream;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;

/**
 * The exchange in a real container, driven directly by the test in place of the engine: a servlet
 * hands each exchange over and the test answers it from its own threads.
 */
@Timeout(60) // a stream that never ends must fail the test, not hang the build
class ServletExchangeTest {

    private static final long BODY_LIMIT = 10;
    private static final BlockingQueue<ServletExchange> EXCHANGES = new LinkedBlockingQueue<>();

    private static EmbeddedTomcat tomcat;
    private static Path containerDir;
    private static final HttpClient CLIENT = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    private static final Duration BODY_TIMEOUT = Duration.ofSeconds(2);
    private static final int CONCURRENT_READS = 2;
    private static final long STREAMED_LIMIT = 100;
    private static final long PUBLIC_LIMIT = 5;
    private static final int CONCURRENT_PUBLIC_READS = 2;
    private static final BodyReads READS = new BodyReads(new BodyLimits(BODY_LIMIT, STREAMED_LIMIT, BODY_TIMEOUT, BODY_TIMEOUT,
            CONCURRENT_READS, 1, PUBLIC_LIMIT, Duration.ofSeconds(3), CONCURRENT_PUBLIC_READS, 1000));
    /** Limits far apart, for telling which deadline a body got: the public one, or the authenticated one. */
    private static final Duration SHORT_PUBLIC_TIMEOUT = Duration.ofMillis(300);
    private static final Duration LONG_TIMEOUT = Duration.ofSeconds(8);
    private static final BodyReads SHORT_PUBLIC_READS = new BodyReads(new BodyLimits(BODY_LIMIT, STREAMED_LIMIT,
            LONG_TIMEOUT, LONG_TIMEOUT, CONCURRENT_READS, 1, PUBLIC_LIMIT, SHORT_PUBLIC_TIMEOUT, 1, 1000));
    /** Room for one largest body and a half: slots to spare, bytes not. */
    private static final long BUFFERED_BUDGET = 15;
    private static final BodyReads SMALL_BUDGET_READS = new BodyReads(new BodyLimits(BODY_LIMIT, STREAMED_LIMIT,
            LONG_TIMEOUT, LONG_TIMEOUT, 8, 1, PUBLIC_LIMIT, LONG_TIMEOUT, 1, BUFFERED_BUDGET));
    /** Tomcat's, as the servlet makes it: Tomcat would not report a client leaving a call that waits. */
    private static volatile ClientWatch watch;
    /** What the engine did with the last body read for a request marked X-Weak-Continuation, held weakly. */
    private static volatile WeakReference<Runnable> continuation;

    /**
     * Does what {@link ApiModelsServlet} and the engine do, then hands the exchange to the test: the
     * body is read once the request is accepted, unless the test asks for an answer on the headers.
     */
    static final class HandOverServlet extends HttpServlet {
        @Override
        protected void service(HttpServletRequest request, HttpServletResponse response) {
            boolean streamed = request.getHeader("X-Streamed") != null;
            BodyReads reads = request.getHeader("X-Short-Public-Deadline") != null ? SHORT_PUBLIC_READS
                    : request.getHeader("X-Small-Budget") != null ? SMALL_BUDGET_READS : READS;
            ServletExchange exchange = ServletExchange.start(request, response, ApiModelsServlet.pathOf(request), reads, watch, streamed);
            String timeout = request.getHeader("X-Async-Timeout-Millis");
            if (timeout != null) {
                request.getAsyncContext().setTimeout(Long.parseLong(timeout));
            }
            String refuse = request.getHeader("X-Refuse-On-Headers");
            if (refuse != null) {
                exchange.respond(new Response(Integer.parseInt(refuse), null, null));
                return;
            }
            if (request.getHeader("X-Weak-Continuation") != null) {
                Runnable next = () -> EXCHANGES.add(exchange);
                continuation = new WeakReference<>(next);
                exchange.readBody(next);
            } else if (request.getHeader("X-Public") != null) {
                exchange.readBody(Exchange.Sender.PUBLIC, () -> EXCHANGES.add(exchange));
            } else {
                exchange.readBody(() -> EXCHANGES.add(exchange));
            }
        }
    }

    /** Hands the exchange over as the engine receives it, its body not yet read: for the contract. */
    static final class HandOverUnreadServlet extends HttpServlet {
        @Override
        protected void service(HttpServletRequest request, HttpServletResponse response) {
            EXCHANGES.add(ServletExchange.start(request, response, ApiModelsServlet.pathOf(request), READS, watch, false));
        }
    }

    @BeforeAll
    static void startContainer(@TempDir Path baseDir) throws Exception {
        containerDir = baseDir;
        tomcat = EmbeddedTomcat.start(baseDir, "/ctx", (classes, ctx) -> {
            ClientConnections connections = ClientConnections.find(ctx);
            assertThat(connections).as("Tomcat's internals are as the probe expects").isNotNull();
            watch = new ClientWatch(connections, READS.timer());
            var registration = ctx.addServlet("hand-over", new HandOverServlet());
            registration.setAsyncSupported(true);
            registration.addMapping("/mount/*");
            var unread = ctx.addServlet("hand-over-unread", new HandOverUnreadServlet());
            unread.setAsyncSupported(true);
            unread.addMapping("/unread/*");
        });
    }

    @AfterAll
    static void stopContainer() throws Exception {
        watch.close();
        READS.close();
        SHORT_PUBLIC_READS.close();
        SMALL_BUDGET_READS.close();
        tomcat.close();
    }

    @BeforeEach
    void forgetEarlierExchanges() {
        EXCHANGES.clear();
    }

    @Test
    void exposesTheRequestBelowTheMount() throws Exception {
        var answer = CLIENT.sendAsync(HttpRequest.newBuilder(tomcat.uri(
                        "/ctx/mount/v1/models?q=a+b&q=second&mark=%E2%9C%93&flag"))
                .header("X-Custom", "value").GET().build(), HttpResponse.BodyHandlers.ofString());
        ServletExchange exchange = nextExchange();

        assertThat(exchange.method()).isEqualTo("GET");
        assertThat(exchange.path()).isEqualTo("/v1/models");
        assertThat(exchange.query("q")).isEqualTo("a b");
        assertThat(exchange.query("mark")).isEqualTo("✓");
        assertThat(exchange.query("flag")).isEmpty();
        assertThat(exchange.query("missing")).isNull();
        assertThat(exchange.header("x-custom")).isEqualTo("value");
        assertThat(exchange.remoteAddress()).isNotBlank();
        assertThat(exchange.bodyTooLarge()).isFalse();
        assertThat(exchange.body()).isEmpty();

        exchange.respond(new Response(204, null, null));
        assertThat(answer.get(10, TimeUnit.SECONDS).statusCode()).isEqualTo(204);
    }

    @Test
    void skipsQueryParametersThatCannotBeDecoded() throws Exception {
        try (Socket socket = tomcat.sendHead("GET /ctx/mount/x?broken=%zz&fine=1 HTTP/1.1\r\nHost: localhost")) {
            ServletExchange exchange = nextExchange();
            assertThat(exchange.query("broken")).isNull();
            assertThat(exchange.query("fine")).isEqualTo("1");
            exchange.respond(new Response(204, null, null));
            assertThat(EmbeddedTomcat.readStatusLine(socket)).startsWith("HTTP/1.1 204");
        }
    }

    @Test
    void mountAtTheContextRootGivesTheWholePath() throws Exception {
        CLIENT.sendAsync(HttpRequest.newBuilder(tomcat.uri("/ctx/mount")).build(), HttpResponse.BodyHandlers.discarding());
        ServletExchange exchange = nextExchange();
        assertThat(exchange.path()).isEqualTo("/");
        exchange.respond(new Response(204, null, null));
    }

    @Test
    void respondsOnceFromAnotherThread() throws Exception {
        var answer = CLIENT.sendAsync(HttpRequest.newBuilder(tomcat.uri("/ctx/mount/echo"))
                .POST(HttpRequest.BodyPublishers.ofString("0123456789")).build(), HttpResponse.BodyHandlers.ofString());
        ServletExchange exchange = nextExchange();
        assertThat(new String(exchange.body(), UTF_8)).isEqualTo("0123456789");

        CompletableFuture.runAsync(() -> exchange.respond(new Response(201, "application/json",
                "{\"ok\":true}".getBytes(UTF_8), Map.of("X-Answer", "first")))).get(10, TimeUnit.SECONDS);
        HttpResponse<String> response = answer.get(10, TimeUnit.SECONDS);

        assertThat(response.statusCode()).isEqualTo(201);
        assertThat(response.headers().firstValue("Content-Type")).hasValue("application/json");
        assertThat(response.headers().firstValue("X-Answer")).hasValue("first");
        assertThat(response.body()).isEqualTo("{\"ok\":true}");
        assertThatCode(() -> exchange.respond(Response.text(500, "text/plain", "second")))
                .doesNotThrowAnyException();
    }

    @Test
    void marksAChunkedBodyOverTheLimitAsTooLarge() throws Exception {
        byte[] elevenBytes = "0123456789X".getBytes(UTF_8);
        var answer = CLIENT.sendAsync(HttpRequest.newBuilder(tomcat.uri("/ctx/mount/upload"))
                        .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(elevenBytes))).build(),
                HttpResponse.BodyHandlers.discarding());
        ServletExchange exchange = nextExchange();

        assertThat(exchange.header("Transfer-Encoding")).isEqualTo("chunked");
        assertThat(exchange.bodyTooLarge()).isTrue();
        exchange.respond(new Response(413, null, null));
        assertThat(answer.get(10, TimeUnit.SECONDS).statusCode()).isEqualTo(413);
    }

    /**
     * The container keeps the body's read listener until the exchange ends, a held-open stream's
     * whole life: once the body is read, the listener holds nothing of the read (neither the
     * received copy nor what the engine did with the body).
     */
    @Test
    void theReadListenerTheContainerKeepsHoldsNothingOfTheReadOnceItEnded() throws Exception {
        try (Socket socket = tomcat.sendHead("POST /ctx/mount/v1/chat/completions HTTP/1.1\r\nHost: localhost\r\n"
                + "X-Weak-Continuation: yes\r\nContent-Length: 5")) {
            socket.getOutputStream().write("hello".getBytes(UTF_8));
            socket.getOutputStream().flush();
            ServletExchange exchange = nextExchange();
            assertThat(exchange.body()).isEqualTo("hello".getBytes(UTF_8));

            Awaitility.await("the continuation is collected").atMost(Duration.ofSeconds(10)).until(() -> {
                System.gc();
                return continuation.get() == null;
            });
            exchange.respond(new Response(204, null, null));
            assertThat(EmbeddedTomcat.readStatusLine(socket)).startsWith("HTTP/1.1 204");
        }
    }

    @Test
    void refusesADeclaredOversizeBodyWithoutReadingIt() throws Exception {
        // The body (longer than the adapter drains) is never sent: had the adapter tried to read it,
        // no exchange would arrive.
        try (Socket socket = tomcat.sendHead("POST /ctx/mount/upload HTTP/1.1\r\nHost: localhost\r\n"
                + "Content-Type: application/json\r\nContent-Length: 3000000\r\nConnection: close")) {
            ServletExchange exchange = nextExchange();
            assertThat(exchange.bodyTooLarge()).isTrue();

            exchange.respond(new Response(413, null, null));
            assertThat(EmbeddedTomcat.readStatusLine(socket)).startsWith("HTTP/1.1 413");
        }
    }

    /**
     * A short oversize body is read to its end and dropped before the refusal: closing the
     * connection with it unread lets the kernel reset the connection, which can overtake the 413.
     */
    @Test
    void drainsAShortOversizeBodyBeforeTheRefusal() throws Exception {
        try (Socket socket = tomcat.sendHead("POST /ctx/mount/v1/chat/completions HTTP/1.1\r\nHost: localhost\r\n"
                + "Content-Length: 40")) {
            awaitActiveReads(1); // being received, within the body's deadline and the cap on reads
            socket.getOutputStream().write("x".repeat(40).getBytes(UTF_8));
            socket.getOutputStream().flush();
            ServletExchange exchange = nextExchange();
            assertThat(exchange.bodyTooLarge()).isTrue();
            assertThat(exchange.body()).isEmpty();
            awaitActiveReads(0);
            exchange.respond(new Response(413, null, null));
            assertThat(EmbeddedTomcat.readStatusLine(socket)).startsWith("HTTP/1.1 413");
        }
    }

    @Test
    void streamsWholeEventsWrittenFromSeveralThreads() throws Exception {
        var answer = CLIENT.sendAsync(HttpRequest.newBuilder(tomcat.uri("/ctx/mount/v1/chat/completions")).build(),
                HttpResponse.BodyHandlers.ofLines());
        ServletExchange exchange = nextExchange();
        EventStream stream = exchange.openEventStream();
        AtomicInteger goneCalls = new AtomicInteger();
        stream.onClientGone(goneCalls::incrementAndGet);

        // The head arrives before any event: the client learns at once that the stream has begun.
        HttpResponse<Stream<String>> response = answer.get(10, TimeUnit.SECONDS);
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("Content-Type").orElseThrow().replace(" ", ""))
                .isEqualToIgnoringCase("text/event-stream;charset=utf-8");
        assertThat(response.headers().firstValue("Cache-Control")).hasValue("no-cache");
        assertThat(response.headers().firstValue("X-Accel-Buffering")).hasValue("no");

        int threads = 4;
        int eventsPerThread = 50;
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            List<Future<?>> writers = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int writer = t;
                writers.add(pool.submit(() -> IntStream.range(0, eventsPerThread).forEach(n ->
                        assertThat(stream.send(("data: {\"writer\":" + writer + ",\"n\":" + n + "}\n\n")
                                .getBytes(UTF_8))).isTrue())));
            }
            for (Future<?> writer : writers) {
                writer.get(30, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }
        stream.close();

        List<String> lines = response.body().filter(line -> !line.isEmpty()).toList();
        assertThat(lines).hasSize(threads * eventsPerThread)
                .allMatch(line -> line.matches("data: \\{\"writer\":\\d,\"n\":\\d+}"));
        assertThat(lines).doesNotHaveDuplicates();
        assertThat(stream.send("data: late\n\n".getBytes(UTF_8))).isFalse();
        assertThat(goneCalls).hasValue(0);
    }

    /**
     * A client that stops reading holds no thread: sends never block (before, the sender, the
     * upstream client's thread serving every stream of its HTTP/2 connection, blocked in the
     * socket write once the buffers were full), and the sender learns from {@code whenSent} when
     * to go on, which is once the client has read what was sent.
     */
    @Test
    void aClientThatDoesNotReadHoldsNoThreadAndTheSenderIsToldWhenItCaughtUp() throws Exception {
        byte[] event = ("data: " + "x".repeat(64 * 1024 - 8) + "\n\n").getBytes(UTF_8);
        try (Socket socket = tomcat.sendHead("GET /ctx/mount/v1/chat/completions HTTP/1.1\r\nHost: localhost")) {
            EventStream stream = nextExchange().openEventStream();
            // Sends as a paced producer does, until the stream says to wait: far sooner than 64 MiB.
            CompletableFuture<Integer> sending = CompletableFuture.supplyAsync(() -> {
                for (int sent = 1; sent <= 1024; sent++) {
                    assertThat(stream.send(event)).isTrue();
                    CountDownLatch later = new CountDownLatch(1);
                    stream.whenSent(later::countDown);
                    if (later.getCount() == 1) {
                        return sent;
                    }
                }
                return -1;
            });
            int sent = sending.get(10, TimeUnit.SECONDS); // the old blocking write never returned here
            assertThat(sent).as("the stream asked the sender to wait").isPositive();

            CountDownLatch caughtUp = new CountDownLatch(1);
            stream.whenSent(caughtUp::countDown);
            var in = new java.io.BufferedInputStream(socket.getInputStream());
            readHead(in);
            java.io.ByteArrayOutputStream body = new java.io.ByteArrayOutputStream();
            while (body.size() < sent * event.length) {
                body.writeBytes(nextChunk(in));
            }
            java.io.ByteArrayOutputStream expected = new java.io.ByteArrayOutputStream();
            IntStream.range(0, sent).forEach(n -> expected.writeBytes(event));
            assertThat(body.toByteArray()).as("every byte sent, in order").isEqualTo(expected.toByteArray());
            assertThat(caughtUp.await(10, TimeUnit.SECONDS)).as("told once the client read it all").isTrue();

            assertThat(stream.send("data: end\n\n".getBytes(UTF_8))).isTrue();
            stream.close();
            assertThat(new String(nextChunk(in), UTF_8)).isEqualTo("data: end\n\n");
            assertThat(nextChunk(in)).as("the stream's last chunk").isEmpty();
        }
    }

    /** Reads a response head off the socket, up to its blank line. */
    private static void readHead(java.io.InputStream in) throws IOException {
        int matched = 0;
        byte[] end = {'\r', '\n', '\r', '\n'};
        while (matched < end.length) {
            int b = in.read();
            assertThat(b).as("the head ends").isNotNegative();
            matched = b == end[matched] ? matched + 1 : (b == '\r' ? 1 : 0);
        }
    }

    /** The next chunk of a chunked body; empty for the last one. */
    private static byte[] nextChunk(java.io.InputStream in) throws IOException {
        StringBuilder size = new StringBuilder();
        for (int b = in.read(); b != '\n'; b = in.read()) {
            assertThat(b).as("a chunk size").isNotNegative();
            if (b != '\r') {
                size.append((char) b);
            }
        }
        byte[] chunk = in.readNBytes(Integer.parseInt(size.toString().strip(), 16));
        assertThat(in.readNBytes(2)).as("the chunk's end").isEqualTo(new byte[] {'\r', '\n'});
        return chunk;
    }

    @Test
    void reportsOnceThatTheClientWentAway() throws Exception {
        EventStream stream;
        AtomicInteger goneCalls = new AtomicInteger();
        CountDownLatch gone = new CountDownLatch(1);
        try (Socket socket = tomcat.sendHead("GET /ctx/mount/v1/chat/completions HTTP/1.1\r\nHost: localhost")) {
            stream = nextExchange().openEventStream();
            stream.onClientGone(() -> {
                goneCalls.incrementAndGet();
                gone.countDown();
            });
            assertThat(EmbeddedTomcat.readStatusLine(socket)).startsWith("HTTP/1.1 200");
        }

        // The first writes after the close may still land in socket buffers; a later one fails.
        Instant deadline = Instant.now().plusSeconds(10);
        while (stream.send(": keep-alive\n\n".getBytes(UTF_8))) {
            assertThat(Instant.now()).as("a send noticed the closed connection").isBefore(deadline);
        }
        assertThat(gone.await(10, TimeUnit.SECONDS)).isTrue();
        assertThat(stream.send("data: late\n\n".getBytes(UTF_8))).isFalse();
        stream.close();
        assertThat(goneCalls).hasValue(1);

        CountDownLatch lateRegistration = new CountDownLatch(1);
        stream.onClientGone(lateRegistration::countDown);
        assertThat(lateRegistration.getCount()).as("runs at once when the client is already gone").isZero();
    }

    @Test
    void treatsAContainerTimeoutAsTheClientGoingAway() throws Exception {
        CLIENT.sendAsync(HttpRequest.newBuilder(tomcat.uri("/ctx/mount/v1/chat/completions"))
                .header("X-Async-Timeout-Millis", "100").build(), HttpResponse.BodyHandlers.discarding());
        EventStream stream = nextExchange().openEventStream();
        CountDownLatch gone = new CountDownLatch(1);
        stream.onClientGone(gone::countDown);

        assertThat(gone.await(20, TimeUnit.SECONDS)).isTrue();
        assertThat(stream.send("data: late\n\n".getBytes(UTF_8))).isFalse();
    }

    @Test
    void anExchangeTheContainerEndsBeforeItsAnswerTellsTheClient503NotAnEmpty200() throws Exception {
        var answer = CLIENT.sendAsync(HttpRequest.newBuilder(tomcat.uri("/ctx/mount/v1/chat/completions"))
                .header("X-Async-Timeout-Millis", "100").build(), HttpResponse.BodyHandlers.ofString());
        ServletExchange exchange = nextExchange();
        AtomicInteger ended = new AtomicInteger();
        CountDownLatch actionRan = new CountDownLatch(1);
        exchange.onClientGone(() -> {
            ended.incrementAndGet();
            actionRan.countDown();
        });

        HttpResponse<String> response = answer.get(20, TimeUnit.SECONDS);
        assertThat(response.statusCode()).isEqualTo(503);
        assertThat(response.headers().firstValue("Retry-After")).hasValue("5");
        assertThat(response.body()).contains("the server is stopping");
        assertThat(actionRan.await(20, TimeUnit.SECONDS)).as("the engine's action ran: its call ends, its upstream is cancelled").isTrue();
        exchange.respond(new Response(200, "text/plain", "late".getBytes(UTF_8)));
        assertThat(ended).hasValue(1);
    }

    @Test
    void aClientThatLeavesWhileTheAnswerIsAwaitedIsNoticed() throws Exception {
        awaitClientLeaving("GET /ctx/mount/v1/models HTTP/1.1\r\nHost: localhost", "");
    }

    @Test
    void aClientThatLeavesAfterItsBodyWasReadIsNoticed() throws Exception {
        // The body is read through a ReadListener: Tomcat then considers the input finished and looks no more.
        awaitClientLeaving("POST /ctx/mount/v1/chat/completions HTTP/1.1\r\nHost: localhost\r\nContent-Length: 2", "{}");
    }

    private static void awaitClientLeaving(String head, String body) throws Exception {
        ServletExchange exchange;
        CountDownLatch gone = new CountDownLatch(1);
        AtomicInteger goneCalls = new AtomicInteger();
        try (Socket socket = tomcat.sendHead(head)) {
            socket.getOutputStream().write(body.getBytes(UTF_8));
            socket.getOutputStream().flush();
            exchange = nextExchange();
            assertThat(new String(exchange.body(), UTF_8)).isEqualTo(body);
            exchange.onClientGone(() -> {
                goneCalls.incrementAndGet();
                gone.countDown();
            });
            assertThat(watch.size()).as("the exchange's connection is watched").isEqualTo(1);
        }

        assertThat(gone.await(10, TimeUnit.SECONDS)).as("the client-gone action ran").isTrue();
        Awaitility.await("the exchange is no longer watched").atMost(Duration.ofSeconds(10))
                .untilAsserted(() -> assertThat(watch.size()).isZero());
        exchange.respond(Response.text(200, "text/plain", "too late")); // ignored: the exchange has ended
        assertThat(goneCalls).hasValue(1);
    }

    @Test
    void aClientThatStaysIsNotReportedAndItsPipelinedRequestIsServedAfterwards() throws Exception {
        AtomicInteger goneCalls = new AtomicInteger();
        try (Socket socket = tomcat.sendHead("GET /ctx/mount/first HTTP/1.1\r\nHost: localhost")) {
            ServletExchange first = nextExchange();
            first.onClientGone(goneCalls::incrementAndGet);
            // The next request arrives while the first waits: the probe reads its first byte and must put it back.
            socket.getOutputStream().write("GET /ctx/mount/second HTTP/1.1\r\nHost: localhost\r\n\r\n".getBytes(UTF_8));
            socket.getOutputStream().flush();
            long seen = watch.rounds();
            Awaitility.await("two rounds of the watch").atMost(Duration.ofSeconds(10))
                    .until(() -> watch.rounds() >= seen + 2);
            assertThat(watch.size()).isEqualTo(1);

            first.respond(Response.text(200, "text/plain", "first"));
            ServletExchange second = nextExchange();
            assertThat(second.path()).isEqualTo("/second");
            second.respond(Response.text(200, "text/plain", "second"));

            String both = readUntil(socket, "\r\n\r\nsecond");
            assertThat(both).startsWith("HTTP/1.1 200").contains("\r\n\r\nfirstHTTP/1.1 200");
        }
        assertThat(goneCalls).hasValue(0);
    }

    @Test
    void abortAnswersWithAProblemInsteadOfAStackTrace() throws Exception {
        var answer = CLIENT.sendAsync(HttpRequest.newBuilder(tomcat.uri("/ctx/mount/anything")).build(),
                HttpResponse.BodyHandlers.ofString());
        nextExchange().abort();

        HttpResponse<String> response = answer.get(10, TimeUnit.SECONDS);
        assertThat(response.statusCode()).isEqualTo(500);
        assertThat(response.headers().firstValue("Content-Type")).hasValue("application/problem+json");
        assertThat(response.body()).contains("\"status\":500").doesNotContain("Exception");
    }

    /** The exchange contract every adapter keeps, over real connections to the container. */
    @Nested
    class Contract extends ExchangeContract {
        @Override
        protected Sent send(ClientRequest request) throws InterruptedException {
            HttpClientConnection client = HttpClientConnection.send("localhost", tomcat.uri("/").getPort(),
                    request.method(), "/ctx/unread" + request.pathAndQuery(), request.headers(), request.body());
            ServletExchange exchange = nextExchange();
            return new Sent() {
                @Override
                public ServletExchange exchange() {
                    return exchange;
                }

                @Override
                public Received awaitResponse(java.time.Duration timeout) {
                    return client.awaitResponse(timeout);
                }

                @Override
                public Received awaitBodyContaining(String text, java.time.Duration timeout) {
                    return client.awaitBodyContaining(text, timeout);
                }

                @Override
                public void leave() {
                    client.close();
                }
            };
        }

        @Override
        protected long bodyLimit() {
            return BODY_LIMIT;
        }
    }

    @Test
    void aBodyNotReceivedInTimeAnswers408AndClosesTheConnection() throws Exception {
        try (Socket socket = tomcat.sendHead("POST /ctx/mount/echo HTTP/1.1\r\nHost: localhost\r\nContent-Length: 5")) {
            socket.getOutputStream().write('{');
            socket.getOutputStream().flush();

            String answer = readToEnd(socket); // ends: the connection is closed, not kept alive
            assertThat(answer).startsWith("HTTP/1.1 408").containsIgnoringCase("Connection: close")
                    .contains("application/problem+json").contains("\"status\":408");
        }
        assertThat(EXCHANGES.poll()).as("the engine never saw the request").isNull();
        awaitActiveReads(0);
    }

    @Test
    void bodiesOverTheConcurrentReadCapAnswer503AtOnce() throws Exception {
        List<Socket> slow = new ArrayList<>();
        try {
            for (int i = 0; i < CONCURRENT_READS; i++) {
                slow.add(tomcat.sendHead("POST /ctx/mount/echo HTTP/1.1\r\nHost: localhost\r\nContent-Length: 5"));
            }
            awaitActiveReads(CONCURRENT_READS);
            try (Socket refused = tomcat.sendHead("POST /ctx/mount/echo HTTP/1.1\r\nHost: localhost\r\nContent-Length: 5")) {
                String answer = readToEnd(refused);
                assertThat(answer).startsWith("HTTP/1.1 503").contains("Retry-After: 5")
                        .containsIgnoringCase("Connection: close");
            }
            for (Socket socket : slow) {
                assertThat(readToEnd(socket)).startsWith("HTTP/1.1 408");
            }
            awaitActiveReads(0);
        } finally {
            for (Socket socket : slow) {
                socket.close();
            }
        }
        assertThat(EXCHANGES.poll()).isNull();
    }

    @Test
    void aDeclaredBodyOverTheBufferedByteBudgetAnswers503AtOnce() throws Exception {
        String head = "POST /ctx/mount/echo HTTP/1.1\r\nHost: localhost\r\nX-Small-Budget: yes\r\nContent-Length: ";
        try (Socket slow = tomcat.sendHead(head + BODY_LIMIT)) {
            awaitReservedBytes(BODY_LIMIT); // counted in full before a byte of it arrived
            try (Socket refused = tomcat.sendHead(head + BODY_LIMIT)) {
                assertThat(readToEnd(refused)).startsWith("HTTP/1.1 503").contains("Retry-After: 5")
                        .containsIgnoringCase("Connection: close");
            }
            // What is left of the budget still takes a smaller body.
            try (Socket fits = tomcat.sendHead(head + "5")) {
                fits.getOutputStream().write("abcde".getBytes(UTF_8));
                fits.getOutputStream().flush();
                ServletExchange exchange = nextExchange();
                assertThat(new String(exchange.body(), UTF_8)).isEqualTo("abcde");
                exchange.respond(new Response(204, null, null));
                assertThat(EmbeddedTomcat.readStatusLine(fits)).startsWith("HTTP/1.1 204");
            }
            awaitReservedBytes(BODY_LIMIT);
        }
        awaitReservedBytes(0);
        assertThat(EXCHANGES.poll()).isNull();
    }

    @Test
    void aChunkedBodyGrowingOverTheBufferedByteBudgetAnswers503() throws Exception {
        String head = "POST /ctx/mount/echo HTTP/1.1\r\nHost: localhost\r\nX-Small-Budget: yes\r\n";
        try (Socket slow = tomcat.sendHead(head + "Content-Length: 8")) {
            awaitReservedBytes(8);
            try (Socket chunked = tomcat.sendHead(head + "Transfer-Encoding: chunked")) {
                chunked.getOutputStream().write("5\r\nabcde\r\n".getBytes(UTF_8));
                chunked.getOutputStream().flush();
                awaitReservedBytes(13); // as it arrives
                chunked.getOutputStream().write("5\r\nfghij\r\n".getBytes(UTF_8));
                chunked.getOutputStream().flush();
                assertThat(readToEnd(chunked)).startsWith("HTTP/1.1 503").containsIgnoringCase("Connection: close");
            }
            awaitReservedBytes(8);
        }
        awaitReservedBytes(0);
        assertThat(EXCHANGES.poll()).isNull();
    }

    private static void awaitReservedBytes(long expected) {
        Awaitility.await("buffered bytes reserved").atMost(Duration.ofSeconds(10))
                .untilAsserted(() -> assertThat(SMALL_BUDGET_READS.reservedBytes()).isEqualTo(expected));
    }

    @Test
    void anAnswerOnTheHeadersLeavesTheBodyUnreadAndClosesTheConnection() throws Exception {
        // Keep-alive would make the container drain the body with a blocking read after the answer,
        // holding a thread for as long as a slow client takes: the connection is closed instead.
        try (Socket socket = tomcat.sendHead("POST /ctx/mount/v1/chat/completions HTTP/1.1\r\nHost: localhost\r\n"
                + "Content-Length: 8\r\nX-Refuse-On-Headers: 401")) {
            String answer = readToEnd(socket);
            assertThat(answer).startsWith("HTTP/1.1 401").containsIgnoringCase("Connection: close");
        }
        assertThat(READS.active()).isZero();
    }

    @Test
    void aBodyWithABrokenChunkAnswers400() throws Exception {
        try (Socket socket = tomcat.sendHead("POST /ctx/mount/echo HTTP/1.1\r\nHost: localhost\r\n"
                + "Transfer-Encoding: chunked")) {
            socket.getOutputStream().write("zz\r\nabc\r\n".getBytes(UTF_8));
            socket.getOutputStream().flush();
            String answer = readToEnd(socket);
            assertThat(answer).startsWith("HTTP/1.1 400").doesNotContain("Exception").doesNotContain("<html");
        }
        assertThat(EXCHANGES.poll()).isNull();
        awaitActiveReads(0);
    }

    @Test
    void aBodySentInPiecesIsHandedOverWhole() throws Exception {
        try (Socket socket = tomcat.sendHead("POST /ctx/mount/echo HTTP/1.1\r\nHost: localhost\r\nContent-Length: 9")) {
            for (String piece : List.of("abc", "def", "ghi")) {
                socket.getOutputStream().write(piece.getBytes(UTF_8));
                socket.getOutputStream().flush();
            }
            ServletExchange exchange = nextExchange();
            assertThat(new String(exchange.body(), UTF_8)).isEqualTo("abcdefghi");
            exchange.respond(new Response(204, null, null));
            String status = EmbeddedTomcat.readStatusLine(socket);
            assertThat(status).startsWith("HTTP/1.1 204");
        }
    }

    @Test
    void aStreamedBodyArrivesInATemporaryFileAndIsReadAsTheBodyStream() throws Exception {
        awaitNoSpooledFiles(); // an earlier test's upload may be ending
        String fifty = "0123456789".repeat(5); // over the buffered limit, within the streamed one
        var answer = CLIENT.sendAsync(HttpRequest.newBuilder(tomcat.uri("/ctx/mount/upload")).header("X-Streamed", "yes")
                .POST(HttpRequest.BodyPublishers.ofString(fifty)).build(), HttpResponse.BodyHandlers.discarding());
        ServletExchange exchange = nextExchange();
        assertThat(exchange.bodyTooLarge()).isFalse();
        assertThat(spooled()).hasSize(1);
        try (var in = exchange.bodyStream()) {
            assertThat(new String(in.readAllBytes(), UTF_8)).isEqualTo(fifty);
        }
        exchange.respond(new Response(204, null, null));
        assertThat(answer.get(10, TimeUnit.SECONDS).statusCode()).isEqualTo(204);
        awaitNoSpooledFiles();
    }

    private static void awaitNoSpooledFiles() {
        Awaitility.await("the temporary files are deleted").atMost(Duration.ofSeconds(10))
                .untilAsserted(() -> assertThat(spooled()).isEmpty());
    }

    @Test
    void streamedBodiesHaveTheirOwnSmallerCap() throws Exception {
        try (Socket slowUpload = tomcat.sendHead("POST /ctx/mount/upload HTTP/1.1\r\nHost: localhost\r\n"
                + "X-Streamed: yes\r\nContent-Length: 50")) {
            awaitActiveReads(1);
            try (Socket second = tomcat.sendHead("POST /ctx/mount/upload HTTP/1.1\r\nHost: localhost\r\n"
                    + "X-Streamed: yes\r\nContent-Length: 50")) {
                assertThat(readToEnd(second)).startsWith("HTTP/1.1 503");
            }
            // A buffered body still has a slot.
            var answer = CLIENT.sendAsync(HttpRequest.newBuilder(tomcat.uri("/ctx/mount/echo"))
                    .POST(HttpRequest.BodyPublishers.ofString("small")).build(), HttpResponse.BodyHandlers.discarding());
            nextExchange().respond(new Response(204, null, null));
            assertThat(answer.get(10, TimeUnit.SECONDS).statusCode()).isEqualTo(204);
            assertThat(readToEnd(slowUpload)).startsWith("HTTP/1.1 408");
        }
        awaitActiveReads(0);
    }

    @Test
    void slowUnauthenticatedBodiesFillOnlyTheirOwnSlots() throws Exception {
        List<Socket> slow = new ArrayList<>();
        try {
            for (int i = 0; i < CONCURRENT_PUBLIC_READS; i++) {
                slow.add(tomcat.sendHead("POST /ctx/mount/webhooks/providers/fal HTTP/1.1\r\nHost: localhost\r\n"
                        + "X-Public: yes\r\nContent-Length: 5"));
            }
            awaitActivePublicReads(CONCURRENT_PUBLIC_READS);
            assertThat(READS.active()).as("no authenticated caller's slot is taken").isZero();

            // One more unauthenticated body is refused at once...
            try (Socket refused = tomcat.sendHead("POST /ctx/mount/webhooks/providers/fal HTTP/1.1\r\nHost: localhost\r\n"
                    + "X-Public: yes\r\nContent-Length: 5")) {
                assertThat(readToEnd(refused)).startsWith("HTTP/1.1 503").contains("Retry-After: 5")
                        .containsIgnoringCase("Connection: close");
            }
            // ...while authenticated callers' bodies, as many as their cap, are still read.
            List<CompletableFuture<HttpResponse<Void>>> answers = new ArrayList<>();
            for (int i = 0; i < CONCURRENT_READS; i++) {
                answers.add(CLIENT.sendAsync(HttpRequest.newBuilder(tomcat.uri("/ctx/mount/echo"))
                        .POST(HttpRequest.BodyPublishers.ofString("small")).build(), HttpResponse.BodyHandlers.discarding()));
            }
            for (int i = 0; i < CONCURRENT_READS; i++) {
                ServletExchange exchange = nextExchange();
                assertThat(new String(exchange.body(), UTF_8)).isEqualTo("small");
                exchange.respond(new Response(204, null, null));
            }
            for (var answer : answers) {
                assertThat(answer.get(10, TimeUnit.SECONDS).statusCode()).isEqualTo(204);
            }
            for (Socket socket : slow) {
                assertThat(readToEnd(socket)).startsWith("HTTP/1.1 408");
            }
        } finally {
            for (Socket socket : slow) {
                socket.close();
            }
        }
        awaitActivePublicReads(0);
    }

    @Test
    void anUnauthenticatedBodyHasAShorterDeadline() throws Exception {
        long started = System.nanoTime();
        try (Socket socket = tomcat.sendHead("POST /ctx/mount/webhooks/providers/fal HTTP/1.1\r\nHost: localhost\r\n"
                + "X-Public: yes\r\nX-Short-Public-Deadline: yes\r\nContent-Length: 5")) {
            socket.getOutputStream().write('{');
            socket.getOutputStream().flush();
            String answer = readToEnd(socket);
            assertThat(answer).startsWith("HTTP/1.1 408").containsIgnoringCase("Connection: close");
        }
        assertThat(Duration.ofNanos(System.nanoTime() - started)).as("answered before the authenticated deadline")
                .isLessThan(LONG_TIMEOUT);
        assertThat(EXCHANGES.poll()).isNull();
    }

    @Test
    void anUnauthenticatedBodyHasASmallerSizeLimit() throws Exception {
        // Within the authenticated limit, over the public one.
        var answer = CLIENT.sendAsync(HttpRequest.newBuilder(tomcat.uri("/ctx/mount/webhooks/providers/fal"))
                .header("X-Public", "yes").POST(HttpRequest.BodyPublishers.ofString("0123456")).build(),
                HttpResponse.BodyHandlers.discarding());
        ServletExchange exchange = nextExchange();
        assertThat(exchange.bodyTooLarge()).isTrue();
        exchange.respond(new Response(413, null, null));
        assertThat(answer.get(10, TimeUnit.SECONDS).statusCode()).isEqualTo(413);
        awaitActivePublicReads(0);
    }

    private static void awaitActivePublicReads(int expected) {
        Awaitility.await("public bodies being received").atMost(Duration.ofSeconds(10))
                .untilAsserted(() -> assertThat(READS.activePublic()).isEqualTo(expected));
    }

    private static List<Path> spooled() throws IOException {
        try (var files = java.nio.file.Files.walk(containerDir)) {
            return files.filter(f -> f.getFileName().toString().startsWith("apimodels-upload-")).toList();
        }
    }

    /** Everything the server sends until it closes the connection (the socket's timeout fails the test otherwise). */
    private static String readToEnd(Socket socket) throws IOException {
        return new String(socket.getInputStream().readAllBytes(), UTF_8);
    }

    /** What the server sends until {@code end} (the socket's timeout fails the test otherwise). */
    private static String readUntil(Socket socket, String end) throws IOException {
        StringBuilder received = new StringBuilder();
        while (received.indexOf(end) < 0) {
            int b = socket.getInputStream().read();
            assertThat(b).as("the connection is open; received so far: %s", received).isNotNegative();
            received.append((char) b);
        }
        return received.toString();
    }

    private static void awaitActiveReads(int expected) {
        Awaitility.await("bodies being received").atMost(Duration.ofSeconds(10))
                .untilAsserted(() -> assertThat(READS.active()).isEqualTo(expected));
    }

    private static ServletExchange nextExchange() throws InterruptedException {
        ServletExchange exchange = EXCHANGES.poll(10, TimeUnit.SECONDS);
        assertThat(exchange).as("the servlet received the request").isNotNull();
        return exchange;
    }
}
