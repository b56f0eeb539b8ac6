package app.apimodels.core.threads;

import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/** Ending the engine's own threads for good. */
public final class Threads {

    /** Long enough for a running task to finish, short enough not to stall an undeploy. */
    private static final Duration WAIT = Duration.ofSeconds(10);

    private Threads() {
    }

    /**
     * Daemon threads named {@code prefix-N}, remembered so that {@link #awaitEnd()} can wait until
     * each has really ended: a pool reports itself terminated while its last threads are still
     * unwinding.
     *
     * <p>They have no context class loader (the engine names its class loader wherever it loads
     * classes). These threads hand responses back to the server, and a thread the server starts from one
     * of them inherits its context class loader unless the server resets it (Tomcat does; a plain
     * {@code new Thread} does not): it would keep the application's loader alive after it stopped.
     */
    public static final class Daemons implements ThreadFactory {
        private final String prefix;
        private final AtomicInteger count = new AtomicInteger();
        private final Set<Thread> started = ConcurrentHashMap.newKeySet();

        public Daemons(String prefix) {
            this.prefix = prefix;
        }

        @Override
        public Thread newThread(Runnable runnable) {
            Thread thread = new Thread(runnable, prefix + "-" + count.incrementAndGet());
            thread.setDaemon(true);
            thread.setContextClassLoader(null);
            started.add(thread);
            return thread;
        }

        /** After the pools using this factory terminated: waits (bounded) until each thread has ended. */
        public void awaitEnd() {
            long deadline = System.nanoTime() + WAIT.toNanos();
            try {
                for (Thread thread : started) {
                    long left = deadline - System.nanoTime();
                    if (left <= 0) {
                        return;
                    }
                    thread.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(left)));
                    started.remove(thread);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /**
     * Stops pools without interrupting what they are running: queued and delayed tasks are dropped,
     * a running task finishes. Interrupts are a last resort, for a task still running after the
     * bounded wait, because an interrupt that lands while a thread is in the embedded database's
     * file I/O makes H2 close its file and silently lose writes it had already reported committed
     * (docs/design.md, "Threads and the embedded database"). Then waits as
     * {@link #awaitTermination} does.
     */
    public static void stop(ExecutorService... pools) {
        for (ExecutorService pool : pools) {
            if (pool instanceof java.util.concurrent.ScheduledThreadPoolExecutor scheduled) {
                scheduled.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
                scheduled.setContinueExistingPeriodicTasksAfterShutdownPolicy(false);
            }
            pool.shutdown();
        }
        if (!awaitTermination(pools)) {
            for (ExecutorService pool : pools) {
                pool.shutdownNow();
            }
        }
    }

    /**
     * Waits until every pool, already shut down, has no thread left. Inside a server the threads must
     * be gone before the application's class loader is discarded: a thread still ending then keeps
     * the loader (and the container reports it as a thread the application failed to stop).
     * Gives up after a bounded wait; an interrupt ends the wait and stays set.
     */
    public static boolean awaitTermination(ExecutorService... pools) {
        long deadline = System.nanoTime() + WAIT.toNanos();
        for (ExecutorService pool : pools) {
            try {
                if (!pool.awaitTermination(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS)) {
                    System.getLogger(Threads.class.getName()).log(System.Logger.Level.WARNING,
                            "a thread pool did not stop within " + WAIT + "; its threads may outlive the engine");
                    return false;
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        }
        return true;
    }
}
