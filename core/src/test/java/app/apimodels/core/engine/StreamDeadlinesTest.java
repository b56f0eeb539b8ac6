package app.apimodels.core.engine;

import app.apimodels.core.engine.EngineHarness.User;
import app.apimodels.testkit.web.MockExchange;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static app.apimodels.core.engine.EngineHarness.WAIT;
import static app.apimodels.core.engine.RoutingTest.FIRST;
import static app.apimodels.core.engine.RoutingTest.SECOND;
import static app.apimodels.core.engine.RoutingTest.chargedFor;
import static app.apimodels.core.engine.RoutingTest.stream;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A stream's deadlines with keep-alive comments on (every 100 ms), all kept by one timer task per
 * stream: comments while the client waits for the first byte — across a move to the next route —
 * and none once content flowed; the route's whole timeout fails a stream that already sent content.
 * Real time (the relay's timer), on {@link RoutingTest}'s catalog.
 */
class StreamDeadlinesTest extends EngineTest {

    static final String KEEP_ALIVE = ": keep-alive\n\n";

    @BeforeAll
    static void start() throws Exception {
        Path catalog = dir.resolve("deadlines-catalog.yaml");
        Files.writeString(catalog, RoutingTest.CATALOG);
        gateway = EngineHarness.start(dir, Map.of("apimodels.catalog", catalog.toString(), "apimodels.stream.keep-alive-ms", "100"));
    }

    static long keepAlives(List<String> events) {
        return events.stream().filter(KEEP_ALIVE::equals).count();
    }

    @Test
    void keepAliveCommentsFlowUntilTheFirstContentAlsoAcrossAFirstByteTimeout() throws Exception {
        User u = gateway.user(1_000_000);
        MockExchange exchange = stream(u, "first-byte");
        var silent = gateway.upstream.nextStream(WAIT);
        assertThat(silent.key).isEqualTo(FIRST);
        exchange.awaitEvents(WAIT, e -> keepAlives(e) >= 2);

        // Past the first route's 1 s first-byte timeout the second takes over; the comments go on.
        var next = gateway.upstream.nextStream(WAIT);
        assertThat(next.key).isEqualTo(SECOND);
        assertThat(silent.awaitCancelled(WAIT)).isTrue();
        long atMove = keepAlives(exchange.events());
        exchange.awaitEvents(WAIT, e -> keepAlives(e) >= atMove + 2);

        next.chunk("Hello");
        List<String> atContent = exchange.awaitEvents(WAIT, e -> e.stream().anyMatch(s -> s.startsWith("data:")));
        // Several beats pass with no further comment once content was sent.
        await().during(Duration.ofMillis(500)).atMost(WAIT).until(() -> exchange.events().equals(atContent));
        next.sink.onUsage(ScriptedProvider.CHAT_USAGE);
        next.sink.onComplete();

        MockExchange.Answer answer = exchange.awaitAnswer(WAIT);
        assertThat(answer.status()).isEqualTo(200);
        List<String> events = exchange.events();
        int firstData = events.indexOf(events.stream().filter(s -> s.startsWith("data:")).findFirst().orElseThrow());
        assertThat(events.subList(0, firstData)).allMatch(KEEP_ALIVE::equals);
        assertThat(events.subList(firstData, events.size())).noneMatch(KEEP_ALIVE::equals);
        chargedFor(u, 1);
    }

    @Test
    void theRouteTimeoutFailsAStreamThatAlreadySentContent() throws Exception {
        User u = gateway.user(1_000_000);
        MockExchange exchange = stream(u, "total");
        var upstream = gateway.upstream.nextStream(WAIT);
        upstream.chunk("Hel");

        // The first route's timeout is 1 s; after content nothing moves to the next route.
        MockExchange.Answer answer = exchange.awaitAnswer(WAIT);
        assertThat(answer.bodyText()).contains("Hel").contains("\"error\"").doesNotContain("[DONE]");
        assertThat(upstream.awaitCancelled(WAIT)).as("the upstream is stopped").isTrue();
        assertThat(gateway.upstream.keysUsed).containsExactly(FIRST);
        assertThat(gateway.balance(u)).as("a failed stream costs nothing").isEqualTo(1_000_000);
        assertThat(gateway.held(u)).isZero();
    }
}
