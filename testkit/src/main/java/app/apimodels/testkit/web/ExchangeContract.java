package app.apimodels.testkit.web;

import app.apimodels.spi.web.EventStream;
import app.apimodels.spi.web.Exchange;
import app.apimodels.spi.web.Response;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * What every {@link Exchange} must do, whatever server it adapts: extend this class, and make
 * {@link #send} play the client (an HTTP request for a real adapter, see {@link HttpClientConnection};
 * the exchange itself for {@link MockExchange}). The engine relies on every rule checked here:
 * request data read the same way everywhere, one answer (any thread, later ones ignored), events
 * that reach the client as they are sent, and a client that leaves being reported once.
 */
@Timeout(60) // a stream that never ends must fail the test, not hang the build
public abstract class ExchangeContract {

    /** Upper bound for anything the contract waits for; generous by default because CI machines stall. */
    protected Duration timeout() {
        return Duration.ofSeconds(15);
    }

    /**
     * A request as the client sends it.
     *
     * @param pathAndQuery the path below the adapter's mount point, with the query as sent
     */
    public record ClientRequest(String method, String pathAndQuery, Map<String, String> headers, byte[] body) {
    }

    /** What the client received; header names are looked up case-insensitively. */
    public interface Received {
        int status();

        String header(String name);

        byte[] body();

        default String bodyText() {
            return new String(body(), StandardCharsets.UTF_8);
        }
    }

    /** A request in flight: the exchange the implementation made of it, and the client's end. */
    public interface Sent {
        Exchange exchange();

        /** Waits until the response is complete. */
        Received awaitResponse(Duration timeout);

        /** Waits until the client has received a body containing {@code text}, the response still open. */
        Received awaitBodyContaining(String text, Duration timeout);

        /** The client goes away (drops the connection). */
        void leave();
    }

    /** Sends {@code request} as a client would and returns it once the implementation made an exchange of it. */
    protected abstract Sent send(ClientRequest request) throws Exception;

    /** The body size past which the implementation reports {@link Exchange#bodyTooLarge()}. */
    protected abstract long bodyLimit();

    private Sent send(String method, String pathAndQuery, Map<String, String> headers, String body) throws Exception {
        return send(new ClientRequest(method, pathAndQuery, headers, body.getBytes(StandardCharsets.UTF_8)));
    }

    @Test
    public void exposesTheRequestAsSent() throws Exception {
        Sent sent = send("POST", "/v1/things?q=a+b&q=second&mark=%E2%9C%93&flag",
                Map.of("X-Custom", "value", "Content-Type", "application/json"), "{\"a\":1}");
        Exchange ex = sent.exchange();

        assertThat(ex.method()).isEqualTo("POST");
        assertThat(ex.path()).isEqualTo("/v1/things");
        assertThat(ex.query("q")).as("the first value, decoded").isEqualTo("a b");
        assertThat(ex.query("mark")).isEqualTo("✓");
        assertThat(ex.query("flag")).isEmpty();
        assertThat(ex.query("missing")).isNull();
        assertThat(ex.rawQuery()).isEqualTo("q=a+b&q=second&mark=%E2%9C%93&flag");
        assertThat(ex.header("x-custom")).isEqualTo("value");
        assertThat(ex.header("X-CUSTOM")).isEqualTo("value");
        assertThat(ex.header("X-Missing")).isNull();
        assertThat(ex.headers().get("x-custom")).as("headers() looks up case-insensitively").isEqualTo("value");
        assertThat(ex.headers().get("CONTENT-TYPE")).isEqualTo("application/json");
        assertThat(ex.baseUrl()).matches("https?://.+").doesNotEndWith("/");
        assertThat(ex.remoteAddress()).isNotBlank();
        assertThat(ex.bodyTooLarge()).isFalse();

        AtomicInteger nextRuns = new AtomicInteger();
        CountDownLatch read = new CountDownLatch(1);
        ex.readBody(() -> {
            nextRuns.incrementAndGet();
            read.countDown();
        });
        assertThat(read.await(timeout().toSeconds(), TimeUnit.SECONDS)).as("readBody runs its continuation").isTrue();
        assertThat(nextRuns).hasValue(1);
        assertThat(new String(ex.body(), StandardCharsets.UTF_8)).isEqualTo("{\"a\":1}");
        assertThat(ex.bodyStream().readAllBytes()).isEqualTo(ex.body());

        ex.respond(new Response(204, null, null));
        assertThat(sent.awaitResponse(timeout()).status()).isEqualTo(204);
    }

    @Test
    public void aRequestWithoutQueryOrBodyHasNeither() throws Exception {
        Sent sent = send("GET", "/v1/models", Map.of(), "");
        Exchange ex = sent.exchange();

        assertThat(ex.method()).isEqualTo("GET");
        assertThat(ex.rawQuery()).isNull();
        assertThat(ex.query("q")).isNull();
        assertThat(ex.body()).isEmpty();
        assertThat(ex.bodyTooLarge()).isFalse();

        ex.respond(Response.text(200, "text/plain", "ok"));
        assertThat(sent.awaitResponse(timeout()).bodyText()).isEqualTo("ok");
    }

    @Test
    public void answersOnceFromAnyThreadAndIgnoresASecondAnswer() throws Exception {
        Sent sent = send("POST", "/v1/echo", Map.of(), "0123456789");
        Exchange ex = sent.exchange();

        CompletableFuture.runAsync(() -> ex.respond(new Response(201, "application/json",
                "{\"ok\":true}".getBytes(StandardCharsets.UTF_8), Map.of("X-Answer", "first"))))
                .get(timeout().toSeconds(), TimeUnit.SECONDS);
        assertThatCode(() -> ex.respond(Response.text(500, "text/plain", "second"))).doesNotThrowAnyException();
        assertThatThrownBy(ex::openEventStream).isInstanceOf(IllegalStateException.class);

        Received r = sent.awaitResponse(timeout());
        assertThat(r.status()).isEqualTo(201);
        assertThat(r.header("content-type")).startsWith("application/json");
        assertThat(r.header("x-answer")).isEqualTo("first");
        assertThat(r.bodyText()).isEqualTo("{\"ok\":true}");
    }

    @Test
    public void reportsABodyOverTheLimitAsTooLarge() throws Exception {
        byte[] body = new byte[(int) bodyLimit() + 1];
        Arrays.fill(body, (byte) 'x');
        Sent sent = send(new ClientRequest("POST", "/v1/upload", Map.of("Content-Type", "application/json"), body));
        Exchange ex = sent.exchange();
        CountDownLatch read = new CountDownLatch(1);
        ex.readBody(read::countDown); // body() and bodyTooLarge() are valid once readBody has called back

        assertThat(read.await(timeout().toSeconds(), TimeUnit.SECONDS)).as("readBody runs its continuation").isTrue();
        assertThat(ex.bodyTooLarge()).isTrue();
        ex.respond(new Response(413, null, null));
        assertThat(sent.awaitResponse(timeout()).status()).isEqualTo(413);
    }

    @Test
    public void deliversEachEventAsItIsSentAndEndsOnClose() throws Exception {
        Sent sent = send("POST", "/v1/chat/completions", Map.of(), "{}");
        Exchange ex = sent.exchange();
        EventStream events = ex.openEventStream();
        AtomicInteger gone = new AtomicInteger();
        events.onClientGone(gone::incrementAndGet);

        assertThat(events.send("data: one\n\n".getBytes(StandardCharsets.UTF_8))).isTrue();
        Received head = sent.awaitBodyContaining("data: one", timeout());
        assertThat(head.status()).isEqualTo(200);
        assertThat(head.header("content-type")).startsWith("text/event-stream");
        assertThat(events.send(": keep-alive\n\n".getBytes(StandardCharsets.UTF_8))).isTrue();
        assertThat(events.send("data: two\n\n".getBytes(StandardCharsets.UTF_8))).isTrue();
        events.close();
        assertThatCode(events::close).as("close is idempotent").doesNotThrowAnyException();

        assertThat(sent.awaitResponse(timeout()).bodyText()).isEqualTo("data: one\n\n: keep-alive\n\ndata: two\n\n");
        assertThat(events.send("data: late\n\n".getBytes(StandardCharsets.UTF_8))).as("a send after close").isFalse();
        assertThatCode(() -> ex.respond(Response.text(500, "text/plain", "late"))).doesNotThrowAnyException();
        assertThat(gone).as("a normal end is not the client leaving").hasValue(0);
    }

    @Test
    public void reportsOnceThatTheClientLeft() throws Exception {
        Sent sent = send("POST", "/v1/chat/completions", Map.of(), "{}");
        EventStream events = sent.exchange().openEventStream();
        AtomicInteger goneCalls = new AtomicInteger();
        CountDownLatch gone = new CountDownLatch(1);
        events.onClientGone(() -> {
            goneCalls.incrementAndGet();
            gone.countDown();
        });
        assertThat(events.send("data: first\n\n".getBytes(StandardCharsets.UTF_8))).isTrue();
        sent.awaitBodyContaining("data: first", timeout());

        sent.leave();

        // Over a network the first writes after a disconnect may still land in socket buffers; a later one fails.
        Instant deadline = Instant.now().plus(timeout());
        while (events.send(": keep-alive\n\n".getBytes(StandardCharsets.UTF_8))) {
            assertThat(Instant.now()).as("a send noticed that the client left").isBefore(deadline);
        }
        assertThat(gone.await(timeout().toSeconds(), TimeUnit.SECONDS)).as("the client-gone action ran").isTrue();
        assertThat(events.send("data: late\n\n".getBytes(StandardCharsets.UTF_8))).isFalse();
        events.close();
        assertThat(goneCalls).hasValue(1);

        AtomicBoolean late = new AtomicBoolean();
        events.onClientGone(() -> late.set(true));
        assertThat(late).as("an action registered after the client left runs at once").isTrue();
    }

    @Test
    public void sendsAStreamedBodyWithItsLengthAndClosesIt() throws Exception {
        Sent sent = send("POST", "/v1/audio/speech", Map.of(), "{}");
        byte[] file = new byte[100_000];
        for (int i = 0; i < file.length; i++) {
            file[i] = (byte) (i * 31);
        }
        AtomicBoolean closed = new AtomicBoolean();
        ByteArrayInputStream stream = new ByteArrayInputStream(file) {
            @Override
            public void close() throws IOException {
                closed.set(true);
                super.close();
            }
        };
        Map<String, String> headers = new LinkedHashMap<>();
        headers.put("X-File", "yes");

        sent.exchange().respond(200, "audio/mpeg", headers, stream, file.length);

        Received r = sent.awaitResponse(timeout());
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.header("content-type")).isEqualTo("audio/mpeg");
        assertThat(r.header("content-length")).isEqualTo(String.valueOf(file.length));
        assertThat(r.header("x-file")).isEqualTo("yes");
        assertThat(r.body()).isEqualTo(file);
        assertThat(closed).as("the body stream is closed once sent").isTrue();
    }
}
