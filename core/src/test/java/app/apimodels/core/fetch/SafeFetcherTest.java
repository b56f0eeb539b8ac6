package app.apimodels.core.fetch;

import com.sun.net.httpserver.HttpExchange;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import static app.apimodels.core.fetch.LocalServer.redirect;
import static app.apimodels.core.fetch.LocalServer.respond;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/** Fetches against a real HTTP server on 127.0.0.1, opened to the fetcher by an allow-list entry. */
class SafeFetcherTest {

    private static final Duration LONG = Duration.ofSeconds(20);
    private static final int MAX_REDIRECTS = 3;

    private final FakeDns dns = new FakeDns();
    private final List<AutoCloseable> closeables = new ArrayList<>();
    private LocalServer server;
    private SafeFetcher fetcher;

    @BeforeEach
    void start() throws IOException {
        server = open(new LocalServer("127.0.0.1"));
        fetcher = fetcher(server.hostPort());
    }

    @AfterEach
    void stop() throws Exception {
        for (AutoCloseable closeable : closeables) {
            closeable.close();
        }
    }

    private <T extends AutoCloseable> T open(T closeable) {
        closeables.add(0, closeable);
        return closeable;
    }

    private SafeFetcher fetcher(String... allowed) {
        return open(new SafeFetcher(
                new FetchPolicy(Set.of(allowed), Duration.ofSeconds(5), LONG, MAX_REDIRECTS, "apimodels-test/1"), dns));
    }

    private static FetchException failure(ThrowingRunnable call) {
        FetchException e = catchThrowableOfType(call::run, FetchException.class);
        assertThat(e).as("expected a FetchException").isNotNull();
        return e;
    }

    /** The fetch failure a read of the body ended with. */
    private static FetchException readFailure(FetchedBody body) {
        IOException e = catchThrowableOfType(() -> body.stream().readAllBytes(), IOException.class);
        assertThat(e).as("expected the read to fail").isNotNull();
        return FetchException.find(e).orElseThrow(() -> new AssertionError("no FetchException behind " + e));
    }

    @FunctionalInterface
    private interface ThrowingRunnable {
        void run() throws Exception;
    }

    @Test
    void getReturnsBodyAndMetadata() throws Exception {
        AtomicReference<HttpExchange> seen = new AtomicReference<>();
        server.handle("/img", exchange -> {
            seen.set(exchange);
            respond(exchange, 200, "image/png", "PNG-bytes");
        });

        try (FetchedBody body = fetcher.get(server.url("/img//a%20b?x=1&y=%2F#frag"), 1024, LONG)) {
            assertThat(body.status()).isEqualTo(200);
            assertThat(body.contentType()).isEqualTo("image/png");
            assertThat(body.contentLength()).isEqualTo(9);
            assertThat(body.finalUrl()).isEqualTo(server.url("/img//a%20b?x=1&y=%2F#frag"));
            assertThat(new String(body.stream().readAllBytes(), StandardCharsets.UTF_8)).isEqualTo("PNG-bytes");
        }
        HttpExchange exchange = seen.get();
        assertThat(exchange.getRequestMethod()).isEqualTo("GET");
        assertThat(exchange.getRequestURI().getRawPath()).isEqualTo("/img//a%20b");
        assertThat(exchange.getRequestURI().getRawQuery()).isEqualTo("x=1&y=%2F");
        assertThat(exchange.getRequestHeaders().getFirst("Host")).isEqualTo(server.hostPort());
        assertThat(exchange.getRequestHeaders().getFirst("User-Agent")).isEqualTo("apimodels-test/1");
        assertThat(exchange.getRequestHeaders()).doesNotContainKeys("Cookie", "Authorization", "Accept-encoding");
    }

    @Test
    void ipv6LoopbackWorksWhenAllowed() throws Exception {
        LocalServer v6 = open(new LocalServer("::1"));
        AtomicReference<String> host = new AtomicReference<>();
        v6.handle("/v6", exchange -> {
            host.set(exchange.getRequestHeaders().getFirst("Host"));
            respond(exchange, 200, "text/plain", "six");
        });

        try (FetchedBody body = fetcher(v6.hostPort()).get(v6.url("/v6"), 100, LONG)) {
            assertThat(body.stream().readAllBytes()).asString(StandardCharsets.UTF_8).isEqualTo("six");
        }
        assertThat(host.get()).isEqualTo(v6.hostPort());
        assertThat(failure(() -> fetcher.get(v6.url("/v6"), 100, LONG)).reason()).isEqualTo(FetchException.BLOCKED_ADDRESS);
        assertThat(v6.hits("/v6")).isEqualTo(1);
    }

    @Test
    void privateServerIsRefusedWithoutItsExactAllowEntry() {
        server.handle("/ok", exchange -> respond(exchange, 200, "text/plain", "ok"));
        dns.answer("localhost", "127.0.0.1");
        String otherPort = "127.0.0.1:" + (server.port() == 65535 ? 1 : server.port() + 1);

        for (SafeFetcher refusing : List.of(fetcher(), fetcher(otherPort), fetcher("localhost:" + server.port()))) {
            assertThat(failure(() -> refusing.get(server.url("/ok"), 100, LONG)).reason()).isEqualTo(FetchException.BLOCKED_ADDRESS);
        }
        assertThat(failure(() -> fetcher.get(URI.create("http://localhost:" + server.port() + "/ok"), 100, LONG)).reason())
                .isEqualTo(FetchException.BLOCKED_ADDRESS);
        assertThat(server.hits("/ok")).isZero();
    }

    @Test
    void declaredLengthOverTheLimitFailsBeforeReading() {
        server.handle("/big", exchange -> respond(exchange, 200, "application/octet-stream", "x".repeat(1000)));

        FetchException e = failure(() -> fetcher.get(server.url("/big"), 999, LONG));

        assertThat(e.reason()).isEqualTo(FetchException.TOO_LARGE);
        assertThat(e.getMessage()).contains("999");
    }

    @Test
    void undeclaredLengthIsCutOffOnceOverTheLimit() throws Exception {
        server.handle("/chunked", exchange -> {
            exchange.sendResponseHeaders(200, 0);
            try (OutputStream out = exchange.getResponseBody()) {
                for (int i = 0; i < 100; i++) {
                    out.write(new byte[1000]);
                }
            }
        });

        try (FetchedBody exact = fetcher.get(server.url("/chunked"), 100_000, LONG)) {
            assertThat(exact.contentLength()).isEqualTo(-1);
            assertThat(exact.stream().readAllBytes()).hasSize(100_000);
        }
        try (FetchedBody over = fetcher.get(server.url("/chunked"), 99_999, LONG)) {
            assertThat(readFailure(over).reason()).isEqualTo(FetchException.TOO_LARGE);
            assertThat(readFailure(over).reason()).as("stays failed").isEqualTo(FetchException.TOO_LARGE);
        }
    }

    @Test
    void serverThatNeverAnswersTimesOutAtTheDeadline() {
        server.handle("/silent", exchange -> server.stall());

        long start = System.nanoTime();
        FetchException e = failure(() -> fetcher.get(server.url("/silent"), 100, Duration.ofMillis(300)));

        assertThat(e.reason()).isEqualTo(FetchException.TIMEOUT);
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isBetween(Duration.ofMillis(250), Duration.ofSeconds(5));
    }

    @Test
    void stalledBodyTimesOutAtTheDeadline() throws Exception {
        server.handle("/stall", exchange -> {
            exchange.sendResponseHeaders(200, 0);
            exchange.getResponseBody().write("partial".getBytes(StandardCharsets.UTF_8));
            exchange.getResponseBody().flush();
            server.stall();
        });

        long start = System.nanoTime();
        try (FetchedBody body = fetcher.get(server.url("/stall"), 1000, Duration.ofMillis(400))) {
            assertThat(readFailure(body).reason()).isEqualTo(FetchException.TIMEOUT);
        }
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isBetween(Duration.ofMillis(350), Duration.ofSeconds(5));
    }

    @Test
    void dribblingBodyIsStoppedByTheTotalDeadlineNotJustPerRead() throws Exception {
        ScheduledExecutorService ticker = open(new ClosingScheduler()).scheduler;
        server.handle("/drip", exchange -> {
            exchange.sendResponseHeaders(200, 0);
            OutputStream out = exchange.getResponseBody();
            AtomicReference<ScheduledFuture<?>> drip = new AtomicReference<>();
            drip.set(ticker.scheduleAtFixedRate(() -> {
                try {
                    out.write('.');
                    out.flush();
                } catch (IOException gone) {
                    drip.get().cancel(false);
                }
            }, 0, 20, TimeUnit.MILLISECONDS));
            server.stall();
        });

        long start = System.nanoTime();
        try (FetchedBody body = fetcher.get(server.url("/drip"), 1_000_000, Duration.ofMillis(600))) {
            assertThat(readFailure(body).reason()).isEqualTo(FetchException.TIMEOUT);
        }
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isBetween(Duration.ofMillis(550), Duration.ofSeconds(5));
    }

    @Test
    void closingAnUnreadBodyCutsItInsteadOfDrainingIt() throws Exception {
        server.handle("/endless", exchange -> {
            exchange.sendResponseHeaders(200, 0);
            exchange.getResponseBody().write(new byte[64 * 1024]);
            exchange.getResponseBody().flush();
            server.stall();
        });

        FetchedBody body = fetcher.get(server.url("/endless"), 10_000_000, LONG);
        assertThat(body.stream().read(new byte[10])).isPositive();

        CompletableFuture.runAsync(body::close).get(3, TimeUnit.SECONDS);
    }

    @Test
    void redirectsAreFollowedAndResolvedAgainstTheCurrentUrl() throws Exception {
        server.handle("/start", exchange -> redirect(exchange, 301, "http://" + server.hostPort() + "/dir/page"));
        server.handle("/dir/page", exchange -> redirect(exchange, 303, "next?n=1"));
        server.handle("/dir/next", exchange -> redirect(exchange, 307, "//" + server.hostPort() + "/end"));
        server.handle("/end", exchange -> respond(exchange, 200, "text/plain", "arrived"));

        try (FetchedBody body = fetcher.get(server.url("/start"), 100, LONG)) {
            assertThat(body.finalUrl()).isEqualTo(server.url("/end"));
            assertThat(body.stream().readAllBytes()).asString(StandardCharsets.UTF_8).isEqualTo("arrived");
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"http://10.0.0.1/x", "http://169.254.169.254/latest/meta-data/", "http://[::1]:%d/target",
            "http://[::ffff:127.0.0.1]:%d/target", "http://2130706433/target", "http://127.0.0.2:%d/target", "http://evil.test:%d/target",
            "http://localhost:%d/target", "http://metadata.google.internal/"})
    void redirectToAForbiddenAddressIsRefused(String location) {
        dns.answer("evil.test", "127.0.0.1").answer("localhost", "127.0.0.1");
        server.handle("/hop", exchange -> redirect(exchange, 302, String.format(location, server.port())));
        server.handle("/target", exchange -> respond(exchange, 200, "text/plain", "internal"));

        FetchException e = failure(() -> fetcher.get(server.url("/hop"), 100, LONG));

        assertThat(e.reason()).isEqualTo(FetchException.BLOCKED_ADDRESS);
        assertThat(server.hits("/target")).isZero();
    }

    @Test
    void redirectToAnotherSchemeIsRefused() {
        server.handle("/hop", exchange -> redirect(exchange, 302, "file:///etc/passwd"));

        assertThat(failure(() -> fetcher.get(server.url("/hop"), 100, LONG)).reason()).isEqualTo(FetchException.BAD_SCHEME);
    }

    @Test
    void redirectLoopStopsAfterTheMaximum() {
        server.handle("/loop", exchange -> redirect(exchange, 302, "/loop"));

        FetchException e = failure(() -> fetcher.get(server.url("/loop"), 100, LONG));

        assertThat(e.reason()).isEqualTo(FetchException.TOO_MANY_REDIRECTS);
        assertThat(server.hits("/loop")).isEqualTo(MAX_REDIRECTS + 1);
    }

    @Test
    void exactlyTheMaximumNumberOfRedirectsIsFine() throws Exception {
        server.handle("/r", exchange -> {
            int n = Integer.parseInt(exchange.getRequestURI().getQuery());
            if (n < MAX_REDIRECTS) {
                redirect(exchange, 302, "/r?" + (n + 1));
            } else {
                respond(exchange, 200, "text/plain", "done");
            }
        });

        try (FetchedBody body = fetcher.get(server.url("/r?0"), 100, LONG)) {
            assertThat(body.finalUrl()).isEqualTo(server.url("/r?" + MAX_REDIRECTS));
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {304, 400, 401, 404, 422, 429, 500, 503})
    void nonSuccessStatusIsAFailureWithThatStatus(int status) {
        server.handle("/status", exchange -> respond(exchange, status, "text/plain", status == 304 ? "" : "no"));

        FetchException e = failure(() -> fetcher.get(server.url("/status"), 100, LONG));

        assertThat(e.reason()).isEqualTo(FetchException.HTTP_STATUS);
        assertThat(e.status()).isEqualTo(status);
        assertThat(e.getMessage()).contains("127.0.0.1", String.valueOf(status));
    }

    @Test
    void redirectWithoutLocationIsAFailure() {
        server.handle("/nowhere", exchange -> exchange.sendResponseHeaders(302, -1));

        FetchException e = failure(() -> fetcher.get(server.url("/nowhere"), 100, LONG));

        assertThat(e.reason()).isEqualTo(FetchException.HTTP_STATUS);
        assertThat(e.status()).isEqualTo(302);
    }

    @Test
    void connectionRefusedIsAnIoFailure() throws Exception {
        LocalServer gone = new LocalServer("127.0.0.1");
        URI url = gone.url("/x");
        gone.close();

        assertThat(failure(() -> fetcher(gone.hostPort()).get(url, 100, LONG)).reason()).isEqualTo(FetchException.IO);
    }

    @Test
    void rebindingBetweenCheckAndFetchIsCaughtAtConnect() throws FetchException {
        dns.answer("rebind.test", "93.184.216.34").answer("rebind.test", "127.0.0.1");
        server.handle("/target", exchange -> respond(exchange, 200, "text/plain", "internal"));
        URI url = URI.create("http://rebind.test:" + server.port() + "/target");

        fetcher.check(url);
        FetchException e = failure(() -> fetcher.get(url, 100, LONG));

        assertThat(e.reason()).isEqualTo(FetchException.BLOCKED_ADDRESS);
        assertThat(e.getMessage()).contains("rebind.test").doesNotContain("127.0.0.1");
        assertThat(server.hits("/target")).isZero();
    }

    @Test
    void mixedAnswerIsRefusedEvenIfThePublicAddressComesFirst() {
        dns.answer("mixed.test", "93.184.216.34", "127.0.0.1");
        server.handle("/target", exchange -> respond(exchange, 200, "text/plain", "internal"));

        FetchException e = failure(() -> fetcher.get(URI.create("http://mixed.test:" + server.port() + "/target"), 100, LONG));

        assertThat(e.reason()).isEqualTo(FetchException.BLOCKED_ADDRESS);
        assertThat(server.hits("/target")).isZero();
    }

    @Test
    void aConnectionIsOpenedToTheAddressesOfItsOneLookup() throws Exception {
        String hostPort = "named.test:" + server.port();
        dns.answer("named.test", "127.0.0.1").answer("named.test", "169.254.169.254");
        server.handle("/ok", exchange -> respond(exchange, 200, "text/plain", "ok"));

        try (FetchedBody body = fetcher(hostPort).get(URI.create("http://" + hostPort + "/ok"), 100, LONG)) {
            assertThat(body.stream().readAllBytes()).asString(StandardCharsets.UTF_8).isEqualTo("ok");
        }
        assertThat(dns.lookups("named.test")).isEqualTo(1);
    }

    @Test
    void pooledConnectionIsNeverReusedForAnotherHostName() throws Exception {
        dns.answer("localhost", "127.0.0.1");
        server.handle("/ok", exchange -> respond(exchange, 200, "text/plain", "ok"));
        try (FetchedBody body = fetcher.get(server.url("/ok"), 100, LONG)) {
            body.stream().readAllBytes();
        }

        FetchException e = failure(() -> fetcher.get(URI.create("http://localhost:" + server.port() + "/ok"), 100, LONG));

        assertThat(e.reason()).isEqualTo(FetchException.BLOCKED_ADDRESS);
        assertThat(server.hits("/ok")).isEqualTo(1);
    }

    @Test
    void postSendsBodyAndHeadersAndReturnsTheStatus() throws Exception {
        AtomicReference<String> received = new AtomicReference<>();
        AtomicReference<HttpExchange> seen = new AtomicReference<>();
        server.handle("/hook", exchange -> {
            seen.set(exchange);
            received.set(new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8));
            respond(exchange, 202, "text/plain", "thanks");
        });

        int status = fetcher.post(server.url("/hook?id=7"), "{\"taskId\":\"t1\"}".getBytes(StandardCharsets.UTF_8),
                "application/json", Map.of("X-Apimodels-Signature", "t=1,v1=ab"), LONG);

        assertThat(status).isEqualTo(202);
        assertThat(received.get()).isEqualTo("{\"taskId\":\"t1\"}");
        HttpExchange exchange = seen.get();
        assertThat(exchange.getRequestMethod()).isEqualTo("POST");
        assertThat(exchange.getRequestURI().getRawQuery()).isEqualTo("id=7");
        assertThat(exchange.getRequestHeaders().getFirst("Content-Type")).startsWith("application/json");
        assertThat(exchange.getRequestHeaders().getFirst("X-Apimodels-Signature")).isEqualTo("t=1,v1=ab");
    }

    @ParameterizedTest
    @ValueSource(ints = {301, 302, 307, 308})
    void postDoesNotFollowRedirects(int status) {
        server.handle("/hook", exchange -> redirect(exchange, status, "/elsewhere"));
        server.handle("/elsewhere", exchange -> respond(exchange, 200, "text/plain", "ok"));

        FetchException e = failure(() -> fetcher.post(server.url("/hook"), new byte[0], "application/json", Map.of(), LONG));

        assertThat(e.reason()).isEqualTo(FetchException.HTTP_STATUS);
        assertThat(e.status()).isEqualTo(status);
        assertThat(server.hits("/elsewhere")).isZero();
    }

    @Test
    void postFailureStatusIsReported() {
        server.handle("/hook", exchange -> respond(exchange, 500, "text/plain", "down"));

        FetchException e = failure(() -> fetcher.post(server.url("/hook"), new byte[0], "application/json", Map.of(), LONG));

        assertThat(e.status()).isEqualTo(500);
    }

    @Test
    void postReadsOnlyTheStartOfAHugeAnswer() throws Exception {
        server.handle("/hook", exchange -> {
            exchange.getRequestBody().readAllBytes();
            exchange.sendResponseHeaders(200, 0);
            exchange.getResponseBody().write(new byte[SafeFetcher.POST_ANSWER_LIMIT * 4]);
            exchange.getResponseBody().flush();
            server.stall();
        });

        // Well before the deadline: the rest of the answer is cut off, not waited for.
        CompletableFuture<Integer> status = CompletableFuture.supplyAsync(() -> {
            try {
                return fetcher.post(server.url("/hook"), new byte[] {1}, "application/octet-stream", Map.of(), LONG);
            } catch (FetchException e) {
                throw new IllegalStateException(e);
            }
        });

        assertThat(status.get(3, TimeUnit.SECONDS)).isEqualTo(200);
    }

    @Test
    void postToAForbiddenAddressIsRefused() {
        FetchException e = failure(() -> fetcher.post(URI.create("http://169.254.169.254/"), new byte[0], "application/json",
                Map.of(), LONG));

        assertThat(e.reason()).isEqualTo(FetchException.BLOCKED_ADDRESS);
    }

    @Test
    void failureOfABodyReadIsFoundThroughWrappers() throws Exception {
        server.handle("/chunked", exchange -> {
            exchange.sendResponseHeaders(200, 0);
            exchange.getResponseBody().write(new byte[500]);
            exchange.getResponseBody().close();
        });

        try (FetchedBody body = fetcher.get(server.url("/chunked"), 10, LONG); InputStream in = body.stream()) {
            IOException e = catchThrowableOfType(() -> in.read(new byte[100]), IOException.class);
            RuntimeException wrapped = new RuntimeException("storage failed", new IOException("copy failed", e));
            assertThat(FetchException.find(wrapped)).get().extracting(FetchException::reason).isEqualTo(FetchException.TOO_LARGE);
        }
        assertThat(FetchException.find(new IOException("unrelated"))).isEmpty();
    }

    /** A scheduler the test closes, for servers that write on a timer. */
    private static final class ClosingScheduler implements AutoCloseable {
        final ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor();

        @Override
        public void close() {
            scheduler.shutdownNow();
        }
    }
}
