package app.apimodels.core;

import app.apimodels.core.threads.Threads;

import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * The engine's timer: periodic housekeeping on this node (sweeps, flushes, catalog refresh) and
 * the delays calls schedule (stream keep-alives, synchronous waits). A failing run is logged and
 * tried again next period, never cancelling the task.
 */
final class Background {

    private static final System.Logger LOG = System.getLogger(ApiModels.class.getName());

    private final Threads.Daemons threads = new Threads.Daemons("apimodels-timer");
    private final ScheduledExecutorService timer = timer(threads);

    /** Cancelled tasks leave the queue at once: every call schedules its timeouts and cancels them when it ends. */
    private static ScheduledExecutorService timer(Threads.Daemons threads) {
        java.util.concurrent.ScheduledThreadPoolExecutor t = new java.util.concurrent.ScheduledThreadPoolExecutor(2, threads);
        t.setRemoveOnCancelPolicy(true);
        return t;
    }

    ScheduledExecutorService timer() {
        return timer;
    }

    /** Runs {@code task} every {@code period} (a positive duration), first after one period. */
    void every(String name, Duration period, Runnable task) {
        long ms = period.toMillis();
        if (ms <= 0) {
            throw new IllegalArgumentException(name + ": period must be positive");
        }
        timer.scheduleWithFixedDelay(() -> {
            try {
                task.run();
            } catch (RuntimeException e) {
                LOG.log(System.Logger.Level.WARNING, "background task " + name + " failed: " + e.getMessage());
            }
        }, ms, ms, TimeUnit.MILLISECONDS);
    }

    /** Stops the timer and waits for its threads to end (a running task finishes first). */
    void close() {
        Threads.stop(timer);
        threads.awaitEnd();
    }
}
