package app.apimodels.core.deadlines;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/** Deadlines fire once they passed, never once cancelled, and take a timer task only when one is due earlier. */
class DeadlinesTest {

    /** A real timer that counts what it was asked to schedule. */
    private static final class CountingTimer extends ScheduledThreadPoolExecutor {
        final AtomicInteger scheduled = new AtomicInteger();

        CountingTimer() {
            super(2);
            setRemoveOnCancelPolicy(true);
        }

        @Override
        public ScheduledFuture<?> schedule(Runnable command, long delay, TimeUnit unit) {
            scheduled.incrementAndGet();
            return super.schedule(command, delay, unit);
        }
    }

    private final CountingTimer timer = new CountingTimer();
    private final Deadlines deadlines = new Deadlines(timer);

    @AfterEach
    void stop() {
        timer.shutdownNow();
    }

    @Test
    void aDeadlineFiresOnceItsTimeHasPassed() throws Exception {
        CountDownLatch fired = new CountDownLatch(1);
        long started = System.nanoTime();
        Deadlines.Deadline deadline = deadlines.start(Duration.ofMillis(100), fired::countDown);

        assertThat(fired.await(5, TimeUnit.SECONDS)).isTrue();
        assertThat(System.nanoTime() - started).as("never early").isGreaterThanOrEqualTo(Duration.ofMillis(100).toNanos());
        assertThat(deadline.cancel()).as("an expired deadline cannot be cancelled").isFalse();
        assertThat(deadlines.pending()).isZero();
    }

    @Test
    void aCancelledDeadlineNeverFires() throws Exception {
        AtomicInteger cancelledRan = new AtomicInteger();
        CountDownLatch laterFired = new CountDownLatch(1);
        Deadlines.Deadline cancelled = deadlines.start(Duration.ofMillis(30), cancelledRan::incrementAndGet);
        deadlines.start(Duration.ofMillis(200), laterFired::countDown);

        assertThat(cancelled.cancel()).isTrue();
        assertThat(cancelled.cancel()).as("once").isFalse();
        assertThat(laterFired.await(5, TimeUnit.SECONDS)).isTrue();
        assertThat(cancelledRan).as("its time passed before the later one fired").hasValue(0);
    }

    @Test
    void anEarlierDeadlineStartedLaterDoesNotWaitForTheFirst() throws Exception {
        List<String> order = new CopyOnWriteArrayList<>();
        CountDownLatch both = new CountDownLatch(2);
        deadlines.start(Duration.ofSeconds(2), () -> {
            order.add("long");
            both.countDown();
        });
        long started = System.nanoTime();
        CountDownLatch shortFired = new CountDownLatch(1);
        deadlines.start(Duration.ofMillis(50), () -> {
            order.add("short");
            shortFired.countDown();
            both.countDown();
        });

        assertThat(shortFired.await(5, TimeUnit.SECONDS)).isTrue();
        assertThat(System.nanoTime() - started).as("not held back by the 2 s one").isLessThan(Duration.ofMillis(1500).toNanos());
        assertThat(both.await(5, TimeUnit.SECONDS)).isTrue();
        assertThat(order).containsExactly("short", "long");
    }

    /** What a call's timeout cost before: a timer task scheduled and cancelled per call, under the timer queue's lock. */
    @Test
    void deadlinesOfOneLengthStartedInTurnShareOneTimerTask() {
        for (int call = 0; call < 10_000; call++) {
            assertThat(deadlines.start(Duration.ofSeconds(30), () -> { }).cancel()).isTrue();
        }
        assertThat(timer.scheduled).as("one check, for the first").hasValue(1);
        assertThat(deadlines.pending()).isZero();
    }

    @Test
    void deadlinesStartedAndCancelledFromManyThreadsFireExactlyWhenNotCancelled() throws Exception {
        int threads = 4;
        int each = 2_000;
        AtomicInteger cancelledRan = new AtomicInteger();
        CountDownLatch kept = new CountDownLatch(threads * each / 2);
        ExecutorService callers = Executors.newFixedThreadPool(threads);
        try {
            List<Future<?>> done = new CopyOnWriteArrayList<>();
            for (int t = 0; t < threads; t++) {
                done.add(callers.submit(() -> {
                    for (int i = 0; i < each; i++) {
                        if (i % 2 == 0) {
                            deadlines.start(Duration.ofMillis(1 + i % 40), kept::countDown);
                        } else {
                            Deadlines.Deadline d = deadlines.start(Duration.ofSeconds(5), cancelledRan::incrementAndGet);
                            if (!d.cancel()) {
                                throw new AssertionError("a 5 s deadline expired before it was cancelled");
                            }
                        }
                    }
                }));
            }
            for (Future<?> f : done) {
                f.get(10, TimeUnit.SECONDS);
            }
            assertThat(kept.await(10, TimeUnit.SECONDS)).as("every deadline not cancelled fired").isTrue();
        } finally {
            callers.shutdownNow();
        }
        assertThat(cancelledRan).hasValue(0);
        assertThat(deadlines.pending()).isZero();
    }
}
