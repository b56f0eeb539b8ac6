package app.apimodels.core.relay;

import app.apimodels.core.testing.InProcessEngine;
import app.apimodels.core.testing.MemoryExchange;
import app.apimodels.core.testing.TestDatabases;
import app.apimodels.core.testing.TestProvider;
import app.apimodels.spi.provider.ProviderResult;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A client that leaves a non-streamed call while the upstream works: the upstream request is
 * cancelled, the call is logged as 499 and nothing is charged.
 */
class AbandonedCallTest {

    private static final String CHAT = "{\"model\":\"test-chat\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"max_tokens\":50}";
    private static final long GRANT = 1_000_000;

    @TempDir
    Path dir;

    @Test
    void theUpstreamIsCancelledTheCallIsLogged499AndNothingIsCharged() throws Exception {
        try (InProcessEngine e = new InProcessEngine(TestDatabases.H2, dir, Map.of())) {
            InProcessEngine.User u = e.user(GRANT);
            e.provider.hang = true;
            MemoryExchange call = e.start("POST", "/v1/chat/completions", u.key(), CHAT.getBytes(StandardCharsets.UTF_8), Map.of());
            CompletableFuture<ProviderResult> upstream = e.provider.pending.poll(30, TimeUnit.SECONDS);
            assertNotNull(upstream, "the call reached the upstream");
            assertTrue(e.money(u)[1] > 0, "the call holds its worst case while it waits");

            call.leave();

            assertTrue(upstream.isCancelled(), "the upstream request was cancelled");
            assertFalse(call.answer().isDone(), "no answer is sent to a client that left");
            Map<String, Object> row = awaitCall(e, u);
            assertEquals(499L, ((Number) row.get("status")).longValue());
            assertEquals(0L, ((Number) row.get("cost_micros")).longValue());
            assertArrayEquals(new long[] {GRANT, 0}, e.money(u));
        }
    }

    @Test
    void anAnswerThatArrivesAsTheClientLeavesIsCharged() throws Exception {
        try (InProcessEngine e = new InProcessEngine(TestDatabases.H2, dir, Map.of())) {
            InProcessEngine.User u = e.user(GRANT);
            e.provider.hang = true;
            MemoryExchange call = e.start("POST", "/v1/chat/completions", u.key(), CHAT.getBytes(StandardCharsets.UTF_8), Map.of());
            CompletableFuture<ProviderResult> upstream = e.provider.pending.poll(30, TimeUnit.SECONDS);
            assertNotNull(upstream);
            // The upstream finished just before the cancel could reach it: the work was done, so it is charged,
            // logged 200 if the answer went out first and 499 if the client's leaving was seen first.
            upstream.complete(new ProviderResult("{\"choices\":[]}".getBytes(StandardCharsets.UTF_8), "application/json", TestProvider.USAGE));
            call.leave();
            Map<String, Object> row = awaitCall(e, u);
            assertTrue(List.of(200L, 499L).contains(((Number) row.get("status")).longValue()), row.toString());
            assertEquals(260L, ((Number) row.get("cost_micros")).longValue());
            assertArrayEquals(new long[] {GRANT - 260, 0}, e.money(u));
        }
    }

    private static Map<String, Object> awaitCall(InProcessEngine e, InProcessEngine.User u) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (System.nanoTime() < deadline) {
            List<?> rows = (List<?>) InProcessEngine.json(InProcessEngine.expect(e.send("GET", "/api/v1/account/usage", u.key(), null), 200)).get("data");
            if (!rows.isEmpty()) {
                @SuppressWarnings("unchecked") Map<String, Object> row = (Map<String, Object>) rows.get(0);
                return row;
            }
            Thread.onSpinWait();
        }
        throw new AssertionError("the call was never logged");
    }
}
