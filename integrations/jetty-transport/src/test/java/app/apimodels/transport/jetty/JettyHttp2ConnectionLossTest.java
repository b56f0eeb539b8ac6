package app.apimodels.transport.jetty;

import app.apimodels.spi.http.HttpBodyHandler;
import app.apimodels.spi.http.HttpRequestSpec;
import app.apimodels.spi.http.HttpTransport;
import app.apimodels.spi.http.TransportException;
import app.apimodels.spi.http.TransportOptions;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The connection under a stream is lost while the stream's handler holds back its reading (its
 * client reads slowly): the stream's rest, already received, is not read as its end.
 */
class JettyHttp2ConnectionLossTest {

    private static final String FIRST = "data: first\n\n";
    private static final String REST = "data: second\n\ndata: [DONE]\n\n";

    private H2cServer server;
    private HttpTransport transport;

    @BeforeEach
    void start() throws Exception {
        // The whole answer, then the connection closed without a GOAWAY (a crash, a proxy cutting it).
        server = new H2cServer(new Handler.Abstract() {
            @Override
            public boolean handle(Request request, Response response, Callback callback) {
                response.getHeaders().put(HttpHeader.CONTENT_TYPE, "text/event-stream");
                response.write(false, ascii(FIRST), Callback.from(() -> response.write(true, ascii(REST), Callback.from(() -> {
                    callback.succeeded();
                    request.getConnectionMetaData().getConnection().getEndPoint().close();
                }, callback::failed)), callback::failed));
                return true;
            }
        });
        transport = JettyHttpTransport.http2(new TransportOptions(Duration.ofSeconds(5), 1));
    }

    @AfterEach
    void stop() throws Exception {
        transport.close();
        server.close();
    }

    @Test
    void aStreamWhoseConnectionIsLostWhileItsReadingIsHeldFailsInsteadOfEndingAsIfWhole() {
        Holding handler = new Holding();
        transport.stream(HttpRequestSpec.get(server.uri("/"), Map.of(), Duration.ofSeconds(20)), handler);
        await().atMost(Duration.ofSeconds(10)).until(() -> server.closed.get() > 0);
        assertThat(handler.outcome).failsWithin(Duration.ofSeconds(10)).withThrowableThat()
                .havingCause().isInstanceOfSatisfying(TransportException.class,
                        e -> assertThat(e.kind()).isEqualTo(TransportException.Kind.RESET));
        // The first piece, if it was read before the loss was seen; reading on after the end changes nothing.
        Runnable next = handler.next.get();
        if (next != null) {
            next.run();
        }
        assertThat(FIRST).startsWith(handler.text);
    }

    private static ByteBuffer ascii(String text) {
        return ByteBuffer.wrap(text.getBytes(StandardCharsets.US_ASCII));
    }

    /** Keeps the transport's "next" after the first piece, as a handler whose client is slow. */
    private static final class Holding implements HttpBodyHandler {
        final CompletableFuture<Void> outcome = new CompletableFuture<>();
        final StringBuilder text = new StringBuilder();
        final AtomicReference<Runnable> next = new AtomicReference<>();

        @Override
        public void onHead(int status, Map<String, String> headers) {
        }

        @Override
        public void onData(ByteBuffer data) {
            throw new AssertionError("a transport that can pause hands pieces with their 'next'");
        }

        @Override
        public synchronized void onData(ByteBuffer data, Runnable more) {
            text.append(StandardCharsets.US_ASCII.decode(data));
            if (next.get() == null) {
                next.set(more);
            } else {
                more.run();
            }
        }

        @Override
        public void onComplete() {
            outcome.complete(null);
        }

        @Override
        public void onError(Throwable error) {
            outcome.completeExceptionally(error);
        }
    }
}
