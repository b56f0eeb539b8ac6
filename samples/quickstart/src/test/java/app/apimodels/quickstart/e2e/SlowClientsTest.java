package app.apimodels.quickstart.e2e;

import app.apimodels.core.testing.TestDatabases;
import app.apimodels.testkit.MockOpenAiUpstream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Hundreds of clients that send their headers and then dribble a body (more than the container
 * has request threads) leave the service answering: bodies are read only after routing and
 * authentication, and without a thread while they arrive. Those refused on their headers are
 * answered at once, their bodies unread.
 */
@Timeout(180)
class SlowClientsTest {

    private static final int PER_KIND = 110; // three kinds: 330 connections, Jetty has at most 200 request threads
    private static final String CHAT = "{\"model\":\"test-chat\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";

    private static MockOpenAiUpstream upstream;
    private static Gateway gateway;
    private static Gateway.User user;

    @BeforeAll
    static void start() throws Exception {
        upstream = new MockOpenAiUpstream();
        Path dir = Files.createTempDirectory("slow-clients");
        gateway = Gateway.start(TestDatabases.H2, Catalogs.openAi(upstream.baseUrl(), null, "jdk", 30), dir,
                Map.of("apimodels.http.body-timeout-seconds", "120"));
        user = gateway.user(10_000_000);
    }

    @AfterAll
    static void stop() {
        gateway.close();
        upstream.close();
    }

    @Test
    void slowBodiesLeaveTheServiceAnswering() throws Exception {
        int port = gateway.uri("/").getPort();
        String slowHead = "Host: localhost\r\nContent-Type: application/json\r\nContent-Length: 1034";
        List<Socket> withKey = new ArrayList<>();
        List<Socket> withoutKey = new ArrayList<>();
        List<Socket> unknownPath = new ArrayList<>();
        ScheduledExecutorService dribbler = Executors.newSingleThreadScheduledExecutor();
        AtomicReference<IOException> dropped = new AtomicReference<>();
        try {
            for (int i = 0; i < PER_KIND; i++) {
                withKey.add(RawHttp.open(port, "POST /v1/chat/completions HTTP/1.1\r\n" + slowHead
                        + "\r\nAuthorization: Bearer " + user.key()));
                withoutKey.add(RawHttp.open(port, "POST /v1/chat/completions HTTP/1.1\r\n" + slowHead));
                unknownPath.add(RawHttp.open(port, "POST /v1/no-such-thing HTTP/1.1\r\n" + slowHead
                        + "\r\nAuthorization: Bearer " + user.key()));
            }
            // Refused on their headers: answered at once, and the connection closed rather than drained.
            for (Socket socket : withoutKey) {
                assertThat(statusThenClose(socket)).isEqualTo(401);
            }
            for (Socket socket : unknownPath) {
                assertThat(statusThenClose(socket)).isEqualTo(404);
            }
            // One body byte per authenticated connection every 500 ms: far from its 1,034 bytes during the test.
            dribbler.scheduleWithFixedDelay(() -> withKey.forEach(socket -> sendOneByte(socket, dropped)),
                    0, 500, TimeUnit.MILLISECONDS);

            // While every authenticated body is still arriving, the service answers (generous bounds:
            // this is about answering at all; the bench measures latency).
            for (int i = 0; i < 20; i++) {
                HttpResponse<String> ready = gateway.send("GET", "/health/ready", null, null);
                assertThat(ready.statusCode()).isEqualTo(200);
                HttpResponse<String> chat = gateway.send("POST", "/v1/chat/completions", user.key(), CHAT);
                assertThat(chat.statusCode()).as(chat.body()).isEqualTo(200);
                assertThat(chat.body()).contains(MockOpenAiUpstream.COMPLETION_TEXT);
            }
            for (Socket socket : withKey) {
                assertThat(socket.getInputStream().available())
                        .as("a slow body is still being received, unanswered").isZero();
            }
            assertThat(dropped.get()).as("no slow connection was dropped").isNull();
        } finally {
            dribbler.shutdownNow();
            dribbler.awaitTermination(10, TimeUnit.SECONDS);
            for (Socket socket : withKey) {
                socket.close();
            }
            for (Socket socket : withoutKey) {
                socket.close();
            }
            for (Socket socket : unknownPath) {
                socket.close();
            }
        }
    }

    private static void sendOneByte(Socket socket, AtomicReference<IOException> dropped) {
        try {
            socket.getOutputStream().write(' ');
            socket.getOutputStream().flush();
        } catch (IOException e) {
            dropped.compareAndSet(null, e);
        }
    }

    /** The status of the answer, which must end with the server closing the connection. */
    private static int statusThenClose(Socket socket) throws IOException {
        InputStream in = socket.getInputStream();
        String answer = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        assertThat(answer).startsWith("HTTP/1.1 ").containsIgnoringCase("Connection: close");
        return Integer.parseInt(answer.substring(9, 12));
    }
}
