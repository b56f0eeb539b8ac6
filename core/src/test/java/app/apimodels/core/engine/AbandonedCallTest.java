package app.apimodels.core.engine;

import app.apimodels.spi.provider.ProviderResult;
import app.apimodels.testkit.web.MockExchange;
import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A client that leaves a non-streamed call while the upstream works: the upstream request is
 * cancelled, the call is logged as 499 and nothing is charged.
 */
class AbandonedCallTest {

    private static final String CHAT = "{\"model\":\"test-chat\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"max_tokens\":50}";
    private static final long GRANT = 1_000_000;

    @TempDir
    Path dir;
    private EngineHarness h;
    /** Upstream calls left pending, in arrival order. */
    private final BlockingQueue<CompletableFuture<ProviderResult>> pending = new LinkedBlockingQueue<>();

    @BeforeEach
    void start() throws Exception {
        h = EngineHarness.start(dir);
        h.upstream.onCall = r -> {
            CompletableFuture<ProviderResult> f = new CompletableFuture<>();
            pending.add(f);
            return f;
        };
    }

    @AfterEach
    void stop() {
        h.close();
    }

    private MockExchange chat(EngineHarness.User u) {
        MockExchange ex = MockExchange.post("/v1/chat/completions").bearer(u.key()).json(CHAT).build();
        h.engine.handle(ex);
        return ex;
    }

    @Test
    void theUpstreamIsCancelledTheCallIsLogged499AndNothingIsCharged() throws Exception {
        EngineHarness.User u = h.user(GRANT);
        MockExchange call = chat(u);
        CompletableFuture<ProviderResult> upstream = pending.poll(EngineHarness.WAIT.toSeconds(), TimeUnit.SECONDS);
        assertThat(upstream).as("the call reached the upstream").isNotNull();
        assertThat(h.held(u)).as("the call holds its worst case while it waits").isPositive();

        call.leave();

        assertThat(upstream).as("the upstream request was cancelled").isCancelled();
        JsonNode row = awaitCall(u);
        assertThat(row.get("status").asInt()).isEqualTo(499);
        assertThat(row.get("cost_micros").asLong()).isZero();
        assertThat(h.balance(u)).isEqualTo(GRANT);
        assertThat(h.held(u)).isZero();
    }

    @Test
    void anAnswerThatArrivesAsTheClientLeavesIsCharged() throws Exception {
        EngineHarness.User u = h.user(GRANT);
        MockExchange call = chat(u);
        CompletableFuture<ProviderResult> upstream = pending.poll(EngineHarness.WAIT.toSeconds(), TimeUnit.SECONDS);
        assertThat(upstream).isNotNull();
        // The upstream finished just before the cancel could reach it: the work was done, so it is charged,
        // logged 200 if the answer went out first and 499 if the client's leaving was seen first.
        upstream.complete(ScriptedProvider.chat(ScriptedProvider.CHAT_USAGE));
        call.leave();
        JsonNode row = awaitCall(u);
        assertThat(row.get("status").asInt()).isIn(200, 499);
        assertThat(row.get("cost_micros").asLong()).isEqualTo(EngineHarness.CHAT_COST);
        assertThat(h.balance(u)).isEqualTo(GRANT - EngineHarness.CHAT_COST);
        assertThat(h.held(u)).isZero();
    }

    private JsonNode awaitCall(EngineHarness.User u) {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (System.nanoTime() < deadline) {
            JsonNode rows = EngineHarness.json(EngineHarness.expect(h.get("/api/v1/account/usage", u.key()), 200)).get("data");
            if (!rows.isEmpty()) {
                return rows.get(0);
            }
            Thread.onSpinWait();
        }
        throw new AssertionError("the call was never logged");
    }
}
