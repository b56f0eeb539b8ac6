package app.apimodels.core.routing;

import app.apimodels.spi.http.RetryAfter;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** The breaker's states, the window's figures and Retry-After parsing, on times given by hand. */
class BreakerTest {

    @Test
    void opensAtTheThresholdWhenFailuresAreAtLeastHalfOfTheRecentVerdicts() {
        Breaker b = new Breaker(3, 30_000);
        b.failure(0);
        b.failure(0);
        b.failure(0);
        assertThat(b.tryPass(0)).as("a route failing every call opens at the threshold").isEqualTo(Breaker.Pass.DENIED);
        assertThat(b.snapshot(1_000)).isEqualTo(new Breaker.Snapshot(Routing.Circuit.OPEN, 3, 30_000));
        assertThat(b.freeAt(1_000)).isEqualTo(30_000);

        Breaker busy = new Breaker(3, 30_000);
        for (int i = 0; i < 4; i++) {
            busy.success(500);
        }
        busy.failure(1_000);
        busy.failure(1_000);
        busy.failure(1_000);
        assertThat(busy.tryPass(1_000)).as("3 failures among 7 verdicts: under half").isEqualTo(Breaker.Pass.PASS);
        assertThat(busy.snapshot(1_000).consecutiveFailures()).isEqualTo(3);
        busy.failure(1_000);
        assertThat(busy.tryPass(1_000)).as("4 of 8: half").isEqualTo(Breaker.Pass.DENIED);
    }

    @Test
    void verdictsOlderThanTheSpanNoLongerCount() {
        Breaker b = new Breaker(3, 30_000);
        b.failure(0);
        b.failure(0);
        b.failure(Breaker.SPAN_MILLIS);
        assertThat(b.tryPass(Breaker.SPAN_MILLIS)).as("the first two fell out").isEqualTo(Breaker.Pass.PASS);

        Breaker quiet = new Breaker(3, 30_000);
        for (int i = 0; i < 100; i++) {
            quiet.success(0);
        }
        quiet.failure(Breaker.SPAN_MILLIS + 1);
        quiet.failure(Breaker.SPAN_MILLIS + 1);
        quiet.failure(Breaker.SPAN_MILLIS + 2);
        assertThat(quiet.tryPass(Breaker.SPAN_MILLIS + 2)).as("old successes do not hide a route failing now")
                .isEqualTo(Breaker.Pass.DENIED);
    }

    @Test
    void halfOpenLetsOneProbeThroughAndItsVerdictDecides() {
        Breaker b = open();
        assertThat(b.tryPass(29_999)).isEqualTo(Breaker.Pass.DENIED);
        assertThat(b.tryPass(30_000)).isEqualTo(Breaker.Pass.PROBE);
        assertThat(b.tryPass(30_000)).as("one probe at a time").isEqualTo(Breaker.Pass.DENIED);
        b.success(30_001);
        assertThat(b.snapshot(30_001).state()).isEqualTo(Routing.Circuit.CLOSED);
        b.failure(30_002);
        assertThat(b.tryPass(30_002)).as("closing forgot the failures that opened it").isEqualTo(Breaker.Pass.PASS);

        Breaker again = open();
        again.tryPass(30_000);
        again.failure(30_500);
        assertThat(again.snapshot(30_500)).isEqualTo(new Breaker.Snapshot(Routing.Circuit.OPEN, 4, 60_500));
    }

    @Test
    void aProbeWithoutVerdictHandsTheProbeOn() {
        Breaker b = open();
        Breaker.Pass probe = b.tryPass(30_000);
        b.unjudged(probe);
        assertThat(b.tryPass(30_000)).isEqualTo(Breaker.Pass.PROBE);
        b.unjudged(Breaker.Pass.PASS);
        assertThat(b.tryPass(30_000)).as("only the probe's own end hands it on").isEqualTo(Breaker.Pass.DENIED);
    }

    private static Breaker open() {
        Breaker b = new Breaker(3, 30_000);
        for (int i = 0; i < 3; i++) {
            b.failure(0);
        }
        return b;
    }

    @Test
    void theWindowCountsRecentCallsAndTakesNearestRankPercentilesOfAnsweredOnes() {
        Window w = new Window(60_000);
        w.record(0, 5_000, false); // falls out of the window below
        for (int i = 1; i <= 20; i++) {
            w.record(10_000, i * 10, false);
        }
        w.record(10_000, 99_000, true);

        Window.Stats stats = w.stats(61_000);
        assertThat(stats.calls()).isEqualTo(21);
        assertThat(stats.failures()).isEqualTo(1);
        assertThat(stats.errorRate()).isEqualTo(1.0 / 21);
        assertThat(stats.p50Millis()).isEqualTo(100);
        assertThat(stats.p95Millis()).isEqualTo(190);
        assertThat(new Window(1_000).stats(0).errorRate()).isNull();
    }

    @Test
    void retryAfterIsReadAsMillisSecondsOrADate() {
        assertThat(RetryAfter.from(Map.of("retry-after-ms", "1500", "retry-after", "9"))).contains(Duration.ofMillis(1500));
        assertThat(RetryAfter.from(Map.of("retry-after", "7"))).contains(Duration.ofSeconds(7));
        assertThat(RetryAfter.parse("Thu, 01 Jan 2026 00:00:30 GMT", Instant.parse("2026-01-01T00:00:00Z")))
                .contains(Duration.ofSeconds(30));
        assertThat(RetryAfter.parse("Thu, 01 Jan 2026 00:00:30 GMT", Instant.parse("2026-01-01T00:01:00Z"))).isEmpty();
        assertThat(RetryAfter.from(Map.of("retry-after", "soon"))).isEmpty();
        assertThat(RetryAfter.from(Map.of("retry-after", "-3"))).isEmpty();
        assertThat(RetryAfter.from(Map.of("retry-after", "99999999999999"))).isEmpty();
        assertThat(RetryAfter.from(Map.of())).isEmpty();
    }
}
