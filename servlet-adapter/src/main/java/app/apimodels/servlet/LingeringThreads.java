package app.apimodels.servlet;

import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The engine's threads, awaited when it has closed. A pool reports itself terminated a moment before
 * its last thread has returned; the server checks for leftover threads right after the application
 * stopped, and a thread still ending then keeps the application's class loader alive (and is
 * reported as a leak). Waiting here costs nothing when all is well.
 *
 * <p>Only threads of the engine's own stack are awaited (by name): the application's threads may
 * rightly run until its own listeners stop them, after this one.
 *
 * <p>One of them would not end by itself for half a minute: the PostgreSQL driver's cleaner thread
 * (pgjdbc's {@code LazyCleaner}) waits 30 s with nothing to clean before it ends, and, running the
 * driver copy in WEB-INF/lib, keeps the application's class loader until then (seen after an undeploy
 * on Tomcat: the only path from a root to the loader). The driver ends it at once when it is
 * interrupted with nothing left to clean, which is the case once the engine's pool has closed.
 */
final class LingeringThreads {

    private static final System.Logger LOG = System.getLogger(LingeringThreads.class.getName());
    private static final Duration WAIT = Duration.ofSeconds(5);
    /** The engine and its transports, the connection pool (named apimodels), the job runner, H2, the fetcher's client. */
    private static final List<String> ENGINE_THREADS = List.of("apimodels", "db-scheduler", "H2", "MVStore", "idle-connection-evictor",
            LingeringThreads.POSTGRESQL_CLEANER);
    /**
     * pgjdbc's cleaner thread: ends when interrupted with an empty queue, ignores the interrupt otherwise
     * (another driver copy's cleaner, started since, that still watches connections, goes on).
     */
    static final String POSTGRESQL_CLEANER = "PostgreSQL-JDBC-Cleaner";

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
     * Waits, boundedly, for the engine's threads started since then with the application's class
     * loader (which every thread they start inherits) or none (the engine's own and its transports'
     * threads, which hand responses back to the server, carry none), and names those that do not end.
     */
    void await() {
        long deadline = System.nanoTime() + WAIT.toNanos();
        started().stream().filter(thread -> thread.getName().equals(POSTGRESQL_CLEANER)).forEach(Thread::interrupt);
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
                .filter(thread -> !before.contains(thread.getId()))
                .filter(thread -> thread.getContextClassLoader() == application || thread.getContextClassLoader() == null)
                .filter(thread -> ENGINE_THREADS.stream().anyMatch(thread.getName()::startsWith))
                .toList();
    }
}
