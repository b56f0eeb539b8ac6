package app.apimodels.servlet;

import jakarta.servlet.AsyncContext;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import static java.nio.charset.StandardCharsets.US_ASCII;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The Jetty probe against a real Jetty 12, asked by the test at chosen moments while a request
 * waits in async mode with its body read: a client that is there is not taken for gone, a byte of
 * its next, pipelined request it takes is handed back to Jetty (which then serves that request
 * whole), and a client that closed is told.
 */
@Timeout(60)
class JettyConnectionsTest {

    /** A request held in async mode, its body read, until the test completes it. */
    private record Held(HttpServletRequest request, AsyncContext async) {
    }

    private static final BlockingQueue<Held> HELD = new LinkedBlockingQueue<>();
    private static volatile ClientConnections probe;
    private static EmbeddedJetty jetty;

    /** POSTs are held (after reading their body); anything else answers its own path at once. */
    private static final class HoldingServlet extends HttpServlet {
        @Override
        protected void doPost(HttpServletRequest request, HttpServletResponse response) throws IOException {
            request.getInputStream().readAllBytes();
            HELD.add(new Held(request, request.startAsync()));
        }

        @Override
        protected void doGet(HttpServletRequest request, HttpServletResponse response) throws IOException {
            byte[] path = request.getRequestURI().getBytes(US_ASCII);
            response.setContentLength(path.length);
            response.getOutputStream().write(path);
        }
    }

    @BeforeAll
    static void start() throws Exception {
        jetty = EmbeddedJetty.start("", (classes, ctx) -> {
            probe = ClientConnections.find(ctx);
            var servlet = ctx.addServlet("holding", new HoldingServlet());
            servlet.setAsyncSupported(true);
            servlet.addMapping("/*");
        });
        assertThat(probe).as("Jetty's classes are as the probe expects").isInstanceOf(JettyConnections.class);
    }

    @AfterAll
    static void stop() throws Exception {
        if (jetty != null) {
            jetty.close();
        }
    }

    @Test
    void aClientThatClosesIsToldAndOneThatStaysIsNot() throws Exception {
        Held held;
        try (Socket client = jetty.sendHead("POST /call HTTP/1.1\r\nHost: localhost\r\nContent-Length: 2")) {
            client.getOutputStream().write("{}".getBytes(US_ASCII));
            held = HELD.poll(10, TimeUnit.SECONDS);
            assertThat(held).isNotNull();
            Object connection = probe.connectionOf(held.request());
            assertThat(connection).as("an HTTP/1.1 connection").isNotNull();
            assertThat(probe.closed(connection)).as("the client is there").isFalse();
        }
        Object connection = probe.connectionOf(held.request());
        Awaitility.await("the close is seen").atMost(Duration.ofSeconds(10))
                .until(() -> probe.closed(connection));
        held.async().complete();
    }

    @Test
    void aByteOfAPipelinedRequestIsHandedBackAndThatRequestIsServed() throws Exception {
        try (Socket client = jetty.sendHead("POST /first HTTP/1.1\r\nHost: localhost\r\nContent-Length: 2")) {
            client.getOutputStream().write("{}".getBytes(US_ASCII));
            Held held = HELD.poll(10, TimeUnit.SECONDS);
            assertThat(held).isNotNull();
            Object connection = probe.connectionOf(held.request());
            // The next request arrives while the first waits: the probe takes its first byte.
            client.getOutputStream().write("GET /second HTTP/1.1\r\nHost: localhost\r\n\r\n".getBytes(US_ASCII));
            client.getOutputStream().flush();
            Awaitility.await("the probe took the first byte of the next request")
                    .atMost(Duration.ofSeconds(10))
                    .until(() -> !probe.closed(connection) && !isRequestBufferEmpty(connection));
            assertThat(probe.closed(connection)).as("asked again: still there, nothing more taken").isFalse();

            held.async().getResponse().setContentLength(0);
            held.async().complete();
            String answers = readAnswers(client.getInputStream(), "/second");
            assertThat(answers).startsWith("HTTP/1.1 200 ").contains("\r\n\r\nHTTP/1.1 200 ").endsWith("/second");
        }
    }

    /** Whether Jetty's connection has no bytes waiting in its request buffer (the probe's own guard). */
    private static boolean isRequestBufferEmpty(Object connection) throws ReflectiveOperationException {
        return (boolean) connection.getClass().getMethod("isRequestBufferEmpty").invoke(connection);
    }

    /** Reads from {@code in} until what was read ends with {@code last}. */
    private static String readAnswers(InputStream in, String last) throws IOException {
        ByteArrayOutputStream read = new ByteArrayOutputStream();
        int b;
        while (!read.toString(US_ASCII).endsWith(last) && (b = in.read()) >= 0) {
            read.write(b);
        }
        return read.toString(US_ASCII);
    }
}
