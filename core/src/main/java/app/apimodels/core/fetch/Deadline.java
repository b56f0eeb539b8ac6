package app.apimodels.core.fetch;

import org.apache.hc.client5.http.ConnectTimeoutException;
import org.apache.hc.client5.http.classic.methods.HttpUriRequestBase;
import org.apache.hc.core5.util.Timeout;

import java.io.IOException;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * The time budget of one fetch, redirects and body included. Socket timeouts only bound each read, so a
 * server dribbling a byte at a time could hold a fetch forever; when the budget runs out this cancels
 * the request in flight, which closes its connection and fails whatever read or connect is blocked on it.
 */
final class Deadline implements Runnable {

    private final Duration budget;
    private final long endNanos;
    private ScheduledFuture<?> alarm;
    private HttpUriRequestBase request;
    private boolean expired;

    private Deadline(Duration budget) {
        this.budget = budget;
        this.endNanos = System.nanoTime() + budget.toNanos();
    }

    static Deadline start(ScheduledExecutorService timer, Duration budget) {
        Deadline deadline = new Deadline(budget);
        synchronized (deadline) {
            deadline.alarm = timer.schedule(deadline, budget.toNanos(), TimeUnit.NANOSECONDS);
        }
        return deadline;
    }

    /** The request now in flight; the one to cancel when time is up. */
    void watch(HttpUriRequestBase current) {
        boolean late;
        synchronized (this) {
            request = current;
            late = expired;
        }
        if (late) {
            current.cancel();
        }
    }

    @Override
    public void run() {
        HttpUriRequestBase current;
        synchronized (this) {
            expired = true;
            current = request;
        }
        if (current != null) {
            current.cancel();
        }
    }

    synchronized boolean expired() {
        return expired || System.nanoTime() - endNanos >= 0;
    }

    /** What is left, at least a millisecond: a zero timeout would mean "wait forever" to the client. */
    Timeout remaining() {
        return Timeout.ofMilliseconds(Math.max(1, TimeUnit.NANOSECONDS.toMillis(endNanos - System.nanoTime())));
    }

    void finish() {
        ScheduledFuture<?> pending;
        synchronized (this) {
            pending = alarm;
        }
        pending.cancel(false);
    }

    /** The failure an I/O error of this fetch amounts to. */
    FetchException explain(IOException error, String host) {
        var refused = FetchException.cause(error, Vetter.Refused.class);
        if (refused.isPresent()) {
            return refused.get().failure;
        }
        if (expired() || error instanceof SocketTimeoutException || error instanceof ConnectTimeoutException) {
            return FetchException.timeout(host, budget, error);
        }
        if (error instanceof UnknownHostException) {
            return FetchException.unresolvable(host, error);
        }
        return FetchException.io(host, error);
    }
}
