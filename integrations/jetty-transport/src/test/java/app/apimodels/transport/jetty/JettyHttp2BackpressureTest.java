package app.apimodels.transport.jetty;

import app.apimodels.spi.http.HttpBodyHandler;
import app.apimodels.spi.http.HttpRequestSpec;
import app.apimodels.spi.http.HttpTransport;
import app.apimodels.spi.http.TransportOptions;
import com.github.tomakehurst.wiremock.WireMockServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.lang.ref.WeakReference;
import java.net.URI;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Streams read with backpressure over one HTTP/2 connection: a handler that has not passed a
 * piece on yet (its client reads slowly) holds back its own stream only, and no thread.
 */
class JettyHttp2BackpressureTest {

    private static final int LARGE = 4 * 1024 * 1024;
    private static final Duration LONG = Duration.ofSeconds(20);

    private WireMockServer server;
    private HttpTransport transport;

    @BeforeEach
    void start() {
        server = new WireMockServer(options().dynamicPort().gzipDisabled(true));
        server.start();
        server.stubFor(get("/held").willReturn(aResponse().withBody(new byte[LARGE])));
        server.stubFor(get("/free").willReturn(aResponse().withBody(new byte[LARGE])));
        // One connection: both streams share it, as thousands of held-open streams share a few.
        transport = JettyHttpTransport.http2(new TransportOptions(Duration.ofSeconds(5), 1));
    }

    @AfterEach
    void stop() {
        transport.close();
        server.stop();
    }

    @Test
    void aStreamHeldBackStallsNeitherTheOtherStreamsOfItsConnectionNorAThread() throws Exception {
        Counting held = new Counting(true);
        transport.stream(HttpRequestSpec.get(URI.create(server.baseUrl() + "/held"), Map.of(), LONG), held);
        assertThat(held.firstPiece.get(10, TimeUnit.SECONDS)).isPositive();

        Counting free = new Counting(false);
        transport.stream(HttpRequestSpec.get(URI.create(server.baseUrl() + "/free"), Map.of(), LONG), free);
        assertThat(free.completed.get(10, TimeUnit.SECONDS)).as("the other stream ends whole").isEqualTo(LARGE);
        assertThat(held.completed).as("the held stream waits for its handler").isNotDone();
        assertThat(held.bytes.get()).isLessThan(LARGE);

        held.release();
        assertThat(held.completed.get(10, TimeUnit.SECONDS)).as("then ends whole").isEqualTo(LARGE);
    }

    /**
     * A stream held open keeps nothing of its request once it was sent: with thousands open, each
     * request body (a long conversation, often) would otherwise stay for as long as it streams.
     */
    @Test
    void aHeldStreamLetsItsRequestBodyGoOnceSent() throws Exception {
        server.stubFor(post("/held").willReturn(aResponse().withBody(new byte[LARGE])));
        Counting held = new Counting(true);
        WeakReference<byte[]> body = postHeld(held);
        assertThat(held.firstPiece.get(10, TimeUnit.SECONDS)).isPositive();

        await().atMost(Duration.ofSeconds(20)).until(() -> {
            System.gc();
            return body.get() == null;
        });
        assertThat(held.completed).as("the stream is still open").isNotDone();
        held.release();
        assertThat(held.completed.get(10, TimeUnit.SECONDS)).isEqualTo(LARGE);
        assertThat(server.getAllServeEvents().get(0).getRequest().getBody()).hasSize(1024 * 1024);
    }

    /** Starts a stream with a 1 MiB body; the test keeps only a weak reference to it. */
    private WeakReference<byte[]> postHeld(Counting handler) {
        byte[] body = new byte[1024 * 1024];
        transport.stream(new HttpRequestSpec("POST", URI.create(server.baseUrl() + "/held"),
                Map.of("Content-Type", "application/json"), body, LONG, LONG), handler);
        return new WeakReference<>(body);
    }

    /** Counts a stream's bytes; while holding, keeps the transport's "next" instead of running it. */
    private static final class Counting implements HttpBodyHandler {
        final CompletableFuture<Long> firstPiece = new CompletableFuture<>();
        final CompletableFuture<Long> completed = new CompletableFuture<>();
        final AtomicLong bytes = new AtomicLong();
        private final AtomicReference<Runnable> next = new AtomicReference<>();
        private volatile boolean holding;

        Counting(boolean holding) {
            this.holding = holding;
        }

        void release() {
            holding = false;
            Runnable waiting = next.getAndSet(null);
            if (waiting != null) {
                waiting.run();
            }
        }

        @Override
        public void onHead(int status, Map<String, String> headers) {
            assertThat(status).isEqualTo(200);
        }

        @Override
        public void onData(ByteBuffer data) {
            throw new AssertionError("a transport that can pause hands pieces with their 'next'");
        }

        @Override
        public void onData(ByteBuffer data, Runnable more) {
            firstPiece.complete(bytes.addAndGet(data.remaining()));
            if (holding) {
                next.set(more);
                if (!holding) {
                    release(); // released meanwhile: nobody else will run it
                }
            } else {
                more.run();
            }
        }

        @Override
        public void onComplete() {
            completed.complete(bytes.get());
        }

        @Override
        public void onError(Throwable error) {
            completed.completeExceptionally(error);
            firstPiece.completeExceptionally(error);
        }
    }
}
