package app.apimodels.transport.jetty;

import app.apimodels.spi.http.HttpRequestSpec;
import app.apimodels.spi.http.HttpTransport;
import app.apimodels.spi.http.TransportException;
import app.apimodels.spi.http.TransportOptions;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.Callback;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A burst of first streams on a cold client, against an upstream slow to set a connection up (a
 * busy host: it accepts, and so sends its SETTINGS, only after {@link #SLOW_SET_UP}, longer than
 * the pool's 4 s idle time and within the connect timeout). Every stream is delivered, over a few
 * connections: Jetty failed every queued request as timed out (504s) once one new connection had
 * been silent for the pool's idle time, and opened one connection per waiting request.
 */
class JettyHttp2ColdStartTest {

    private static final int STREAMS = 200;
    private static final Duration SLOW_SET_UP = Duration.ofSeconds(5);
    private static final String EVENT = "data: answer\n\n";

    private H2cServer server;
    private HttpTransport transport;

    @BeforeEach
    void start() throws Exception {
        long acceptFrom = System.nanoTime() + SLOW_SET_UP.toNanos();
        server = new H2cServer(new Handler.Abstract() {
            @Override
            public boolean handle(Request request, Response response, Callback callback) {
                response.getHeaders().put(HttpHeader.CONTENT_TYPE, "text/event-stream");
                response.write(true, ByteBuffer.wrap(EVENT.getBytes(StandardCharsets.US_ASCII)), callback);
                return true;
            }
        }, (jetty, h2c) -> {
            ServerConnector slow = new ServerConnector(jetty, 1, 1, h2c) {
                @Override
                public void accept(int acceptorID) throws IOException {
                    // The kernel completes the clients' connects meanwhile; only the server's side waits.
                    for (long left; (left = acceptFrom - System.nanoTime()) > 0; ) {
                        LockSupport.parkNanos(left);
                        if (Thread.currentThread().isInterrupted()) {
                            throw new InterruptedIOException("stopped");
                        }
                    }
                    super.accept(acceptorID);
                }
            };
            slow.setAcceptQueueSize(STREAMS + 100);
            return slow;
        });
        transport = JettyHttpTransport.http2(new TransportOptions(Duration.ofSeconds(10), 256));
    }

    @AfterEach
    void stop() throws Exception {
        transport.close();
        server.close();
    }

    @Test
    void everyStreamOfAColdBurstIsDeliveredThoughSettingUpAConnectionTakesLongerThanThePoolsIdleTime() throws Exception {
        assertThat(burst()).containsOnly(EVENT).hasSize(STREAMS);
    }

    @Test
    void aColdBurstSharesAFewConnectionsInsteadOfOpeningOnePerStream() throws Exception {
        burst();
        assertThat(server.opened.get()).isLessThan(10);
    }

    /** The set-up is still bounded: by the connect timeout, where the pool's idle time bounded it. */
    @Test
    void aConnectionNeverSetUpFailsItsStreamsOnceTheConnectTimeoutPassed() throws Exception {
        try (ServerSocket silent = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
             HttpTransport quick = JettyHttpTransport.http2(new TransportOptions(Duration.ofSeconds(1), 4))) {
            // Never accepted: the kernel completes the connect, and nothing ever answers the preface.
            URI uri = URI.create("http://127.0.0.1:" + silent.getLocalPort() + "/v1/chat/completions");
            CollectedBody stream = new CollectedBody();
            quick.stream(HttpRequestSpec.get(uri, Map.of(), Duration.ofSeconds(60)), stream);
            assertThat(stream.body).failsWithin(Duration.ofSeconds(20)).withThrowableThat()
                    .havingCause().isInstanceOfSatisfying(TransportException.class,
                            e -> assertThat(e.kind()).isEqualTo(TransportException.Kind.TIMEOUT));
        }
    }

    /** Starts every stream at once and waits for all of them; a stream's failure fails the call. */
    private List<String> burst() throws Exception {
        URI uri = server.uri("/v1/chat/completions");
        List<CompletableFuture<String>> bodies = new ArrayList<>();
        for (int i = 0; i < STREAMS; i++) {
            CollectedBody stream = new CollectedBody();
            transport.stream(HttpRequestSpec.get(uri, Map.of(), Duration.ofSeconds(30)), stream);
            bodies.add(stream.body);
        }
        List<String> all = new ArrayList<>();
        for (CompletableFuture<String> body : bodies) {
            all.add(body.get(40, TimeUnit.SECONDS));
        }
        return all;
    }
}
