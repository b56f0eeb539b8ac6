package app.apimodels.servlet;

import jakarta.servlet.ServletRequest;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Looks, once a {@link #PERIOD}, whether the clients of calls waiting for their answer are still
 * connected, on a container that would not say ({@link ClientConnections}: Tomcat, Jetty);
 * elsewhere it watches nothing and the container's own reports ({@code AsyncListener.onError})
 * suffice. An exchange is
 * watched from when the engine registers what to do if its client leaves, until it ends.
 */
final class ClientWatch implements AutoCloseable {

    private static final System.Logger LOG = System.getLogger(ClientWatch.class.getName());
    static final Duration PERIOD = Duration.ofSeconds(1);
    /** For containers that report a client's leaving themselves. */
    static final ClientWatch NONE = new ClientWatch(null, null);

    private final ClientConnections probe;
    /** The exchanges watched, each with its connection. */
    private final Map<ServletExchange, Object> watched = new ConcurrentHashMap<>();
    private final ScheduledFuture<?> rounds;
    private final AtomicLong roundsDone = new AtomicLong();

    /** @param probe the container's probe, or null to watch nothing */
    ClientWatch(ClientConnections probe, ScheduledExecutorService timer) {
        this.probe = probe;
        this.rounds = probe == null ? null
                : timer.scheduleWithFixedDelay(this::round, PERIOD.toMillis(), PERIOD.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** Starts watching {@code exchange}, if its connection is one that can be probed; true if so. */
    boolean watch(ServletExchange exchange, ServletRequest request) {
        if (probe == null) {
            return false;
        }
        Object connection = probe.connectionOf(request);
        if (connection == null) {
            return false;
        }
        watched.put(exchange, connection);
        return true;
    }

    void forget(ServletExchange exchange) {
        watched.remove(exchange);
    }

    /** How many exchanges are watched now. */
    int size() {
        return watched.size();
    }

    /** How many rounds have ended. */
    long rounds() {
        return roundsDone.get();
    }

    private void round() {
        try {
            watched.forEach(this::check);
        } catch (RuntimeException e) {
            // A periodic task that throws is never run again.
            LOG.log(System.Logger.Level.WARNING, "Watching client connections failed", e);
        }
        roundsDone.incrementAndGet();
    }

    private void check(ServletExchange exchange, Object connection) {
        // The exchange runs the probe under its monitor, never once it has ended: from then on
        // the container may serve the connection's next request.
        if (exchange.clientClosed(() -> probe.closed(connection))) {
            watched.remove(exchange);
            if (!probe.reportClosed(connection)) {
                exchange.clientLeft();
            }
        }
    }

    @Override
    public void close() {
        if (rounds != null) {
            rounds.cancel(false);
        }
        watched.clear();
    }
}
