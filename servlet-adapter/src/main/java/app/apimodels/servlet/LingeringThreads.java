package app.apimodels.servlet;

import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The threads started while the engine ran, awaited when it has closed. A pool reports itself
 * terminated a moment before its last thread has returned; the server checks for leftover threads
 * right after the application stopped, and a thread still ending then keeps the application's class
 * loader alive (and is reported as a leak). Waiting here costs nothing when all is well.
 */
final class LingeringThreads {

    private static final System.Logger LOG = System.getLogger(LingeringThreads.class.getName());
    private static final Duration WAIT = Duration.ofSeconds(5);

    private final ClassLoader application;
    private final Set<Long> before;

    private LingeringThreads(ClassLoader application, Set<Long> before) {
        this.application = application;
        this.before = before;
    }

    /** Remembers the threads alive now: only later ones are awaited. */
    static LingeringThreads from(ClassLoader application) {
        return new LingeringThreads(application, Thread.getAllStackTraces().keySet().stream()
                .map(Thread::getId).collect(Collectors.toUnmodifiableSet()));
    }

    /**
     * Waits, boundedly, for the threads started since then that run with the application's class
     * loader (every thread the engine and its libraries start inherits it), and names those that
     * do not end.
     */
    void await() {
        long deadline = System.nanoTime() + WAIT.toNanos();
        for (Thread thread : started()) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                break;
            }
            try {
                thread.join(Math.max(1, left / 1_000_000));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
        List<String> alive = started().stream().map(Thread::getName).toList();
        if (!alive.isEmpty()) {
            LOG.log(System.Logger.Level.WARNING, "apimodels: threads still running after the engine closed: {0}", alive);
        }
    }

    private List<Thread> started() {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(thread -> thread != Thread.currentThread() && thread.isAlive())
                .filter(thread -> !before.contains(thread.getId()) && thread.getContextClassLoader() == application)
                .toList();
    }
}
