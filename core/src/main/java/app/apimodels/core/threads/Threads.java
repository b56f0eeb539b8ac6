package app.apimodels.core.threads;

import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;

/** Ending the engine's own threads for good. */
public final class Threads {

    /** Long enough for a task interrupted by {@code shutdownNow} to unwind, short enough not to stall an undeploy. */
    private static final Duration WAIT = Duration.ofSeconds(10);

    private Threads() {
    }

    /**
     * Waits until every pool, already shut down, has no thread left. Inside a server the threads must
     * be gone before the application's class loader is discarded: a thread still ending then keeps
     * the loader (and the container reports it as a thread the application failed to stop).
     * Gives up after a bounded wait; an interrupt ends the wait and stays set.
     */
    public static void awaitTermination(ExecutorService... pools) {
        long deadline = System.nanoTime() + WAIT.toNanos();
        for (ExecutorService pool : pools) {
            try {
                if (!pool.awaitTermination(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS)) {
                    System.getLogger(Threads.class.getName()).log(System.Logger.Level.WARNING,
                            "a thread pool did not stop within " + WAIT + "; its threads may outlive the engine");
                    return;
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }
}
