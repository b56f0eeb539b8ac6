package app.apimodels.core;

import app.apimodels.core.config.ConfigSource;
import app.apimodels.core.testing.TestDatabases;
import app.apimodels.testkit.web.MockExchange;
import app.apimodels.spi.web.EventStream;
import app.apimodels.spi.web.Exchange;
import app.apimodels.spi.web.ForwardingExchange;
import app.apimodels.spi.web.Response;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The engine routes and authenticates on the headers, and only then asks the adapter for the body
 * ({@link Exchange#readBody}): a request refused on its headers never has its body read, so a slow
 * client cannot hold anything by sending one.
 */
class BodyAfterAuthTest {

    private static final String ADMIN = "sk-body-after-auth-admin-0123456789";
    private static ApiModels engine;

    @BeforeAll
    static void start(@TempDir Path dataDir) {
        Map<String, String> settings = new HashMap<>(TestDatabases.H2.settings());
        settings.put("apimodels.data-dir", dataDir.toString());
        settings.put("apimodels.bootstrap.admin-key", ADMIN);
        settings.put("apimodels.max-body-bytes", "2048");
        engine = ApiModels.builder().config(ConfigSource.of(settings)).build();
    }

    @AfterAll
    static void stop() {
        engine.close();
    }

    @Test
    void anUnknownPathIsAnsweredWithoutReadingTheBody() {
        Recording ex = new Recording("POST", "/v1/no-such-thing", ADMIN, "{}");
        engine.handle(ex);
        assertThat(ex.answer.status()).isEqualTo(404);
        assertThat(ex.readBodyCalls).isZero();
        assertThat(ex.bodyReadEarly).isFalse();
    }

    @Test
    void aMissingOrWrongKeyIsAnsweredWithoutReadingTheBody() {
        for (String key : new String[] {null, "sk-am-not-a-key"}) {
            Recording ex = new Recording("POST", "/admin/users", key, "{\"email\":\"x@example.com\"}");
            engine.handle(ex);
            assertThat(ex.answer.status()).isEqualTo(401);
            assertThat(ex.readBodyCalls).isZero();
        }
    }

    @Test
    void anAcceptedRequestReadsItsBodyOnceThenIsServed() {
        Recording ex = new Recording("POST", "/admin/users", ADMIN, "{\"email\":\"body-after-auth@example.com\"}");
        engine.handle(ex);
        assertThat(ex.readBodyCalls).isOne();
        assertThat(ex.sender).isEqualTo(Exchange.Sender.AUTHENTICATED);
        assertThat(ex.bodyReadEarly).as("the body was only touched after readBody").isFalse();
        assertThat(ex.answer.status()).as(new String(ex.answer.body(), StandardCharsets.UTF_8)).isBetween(200, 201);
    }

    @Test
    void aPublicRoutesBodyIsReadAsUnauthenticated() {
        // A provider webhook is verified only once its body is read: the adapter must apply its public limits.
        Recording ex = new Recording("POST", "/webhooks/providers/no-such-provider", null, "{}");
        engine.handle(ex);
        assertThat(ex.readBodyCalls).isOne();
        assertThat(ex.sender).isEqualTo(Exchange.Sender.PUBLIC);
        assertThat(ex.answer).isNotNull();
    }

    @Test
    void aBodyOverTheLimitIs413OnceTheAdapterSaysSo() {
        Recording ex = new Recording("POST", "/admin/users", ADMIN, "{}");
        ex.tooLarge = true;
        engine.handle(ex);
        assertThat(ex.readBodyCalls).isOne();
        assertThat(ex.answer.status()).isEqualTo(413);
    }

    @Test
    void anAdapterThatEndsTheExchangeItselfGetsNoAnswerFromTheEngine() {
        Recording ex = new Recording("POST", "/admin/users", ADMIN, "{}");
        ex.bodyArrives = false; // e.g. the body deadline passed: the adapter answered 408 itself
        engine.handle(ex);
        assertThat(ex.readBodyCalls).isOne();
        assertThat(ex.answer).isNull();
    }

    /** An exchange that records when its body is asked for (the rest is the in-memory one). */
    private static final class Recording extends ForwardingExchange {
        private final byte[] body;
        int readBodyCalls;
        Sender sender;
        boolean bodyReadEarly;
        boolean tooLarge;
        boolean bodyArrives = true;
        Response answer;

        Recording(String method, String path, String key, String body) {
            super(request(method, path, key));
            this.body = body.getBytes(StandardCharsets.UTF_8);
        }

        private static MockExchange request(String method, String path, String key) {
            MockExchange.Builder request = MockExchange.builder(method, path).header("Content-Type", "application/json");
            if (key != null) {
                request.bearer(key);
            }
            return request.build();
        }

        @Override
        public void readBody(Sender from, Runnable next) {
            readBodyCalls++;
            sender = from;
            if (bodyArrives) {
                next.run();
            }
        }

        @Override
        public byte[] body() {
            bodyReadEarly |= readBodyCalls == 0;
            return body;
        }

        @Override
        public boolean bodyTooLarge() {
            bodyReadEarly |= readBodyCalls == 0;
            return tooLarge;
        }

        @Override
        public void respond(Response response) {
            assertThat(answer).as("answered once").isNull();
            answer = response;
        }

        @Override
        public void respond(int status, String contentType, Map<String, String> headers, InputStream body, long length) {
            respond(new Response(status, contentType, null, headers));
        }

        @Override
        public EventStream openEventStream() {
            throw new UnsupportedOperationException();
        }
    }
}
