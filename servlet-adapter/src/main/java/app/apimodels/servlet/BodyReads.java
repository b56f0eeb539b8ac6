package app.apimodels.servlet;

import app.apimodels.core.deadlines.Deadlines;
import app.apimodels.spi.web.BodyLimits;
import app.apimodels.spi.web.Exchange.Sender;

import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * What the request bodies being received by one servlet share: the limits, the cap on how many
 * are received at once and on the bytes they buffer, the timer that enforces their deadlines (and
 * runs the servlet's {@link ClientWatch}), and
 * a log of refused slow clients that says how many without writing a line per client.
 */
final class BodyReads implements AutoCloseable {

    private static final System.Logger LOG = System.getLogger(BodyReads.class.getName());
    private static final long LOG_EVERY_NANOS = Duration.ofMinutes(1).toNanos();

    /** Why a body was refused while (or before) it was received. */
    enum Refusal { TIMED_OUT, OVER_CAPACITY }

    private final BodyLimits limits;
    private final Semaphore slots;
    private final Semaphore streamedSlots;
    /** Public routes' bodies (unauthenticated): their own slots, never one of {@code slots}. */
    private final Semaphore publicSlots;
    /** Bytes reserved by authenticated callers' buffered bodies being received. */
    private final AtomicLong bufferedBytes = new AtomicLong();
    private final ScheduledThreadPoolExecutor timer;
    private final Deadlines deadlines;
    private final AtomicLong timedOut = new AtomicLong();
    private final AtomicLong overCapacity = new AtomicLong();
    private final AtomicLong lastLog = new AtomicLong(System.nanoTime() - LOG_EVERY_NANOS);

    BodyReads(BodyLimits limits) {
        this.limits = limits;
        this.slots = new Semaphore(limits.maxConcurrentReads());
        this.streamedSlots = new Semaphore(limits.maxConcurrentStreamedReads());
        this.publicSlots = new Semaphore(limits.maxConcurrentPublicReads());
        this.timer = (ScheduledThreadPoolExecutor) Executors.newScheduledThreadPool(1, runnable -> {
            Thread thread = new Thread(runnable, "apimodels-servlet-timer");
            thread.setDaemon(true);
            return thread;
        });
        timer.setRemoveOnCancelPolicy(true);
        deadlines = new Deadlines(timer);
    }

    BodyLimits limits() {
        return limits;
    }

    /**
     * Takes one of the concurrent-read slots (for a streamed body also one of the fewer streamed
     * slots: each may fill a large file), or returns false when all are taken. A public route's
     * body takes one of the public slots only, so unauthenticated clients, however many and slow,
     * leave every other slot to authenticated callers.
     */
    boolean tryAcquire(boolean streamed, Sender sender) {
        if (sender == Sender.PUBLIC) {
            return publicSlots.tryAcquire();
        }
        if (streamed && !streamedSlots.tryAcquire()) {
            return false;
        }
        if (slots.tryAcquire()) {
            return true;
        }
        if (streamed) {
            streamedSlots.release();
        }
        return false;
    }

    void release(boolean streamed, Sender sender) {
        if (sender == Sender.PUBLIC) {
            publicSlots.release();
            return;
        }
        slots.release();
        if (streamed) {
            streamedSlots.release();
        }
    }

    /**
     * Reserves {@code bytes} more of the buffered-body budget ({@link BodyLimits#maxBufferedBytes}),
     * or returns false, reserving nothing, when they do not fit.
     */
    boolean tryReserve(long bytes) {
        long used;
        do {
            used = bufferedBytes.get();
            if (bytes > limits.maxBufferedBytes() - used) {
                return false;
            }
        } while (!bufferedBytes.compareAndSet(used, used + bytes));
        return true;
    }

    void unreserve(long bytes) {
        bufferedBytes.addAndGet(-bytes);
    }

    /** Bytes of the buffered-body budget in use right now. */
    long reservedBytes() {
        return bufferedBytes.get();
    }

    /** Authenticated callers' bodies being received right now. */
    int active() {
        return limits.maxConcurrentReads() - slots.availablePermits();
    }

    /** Public routes' bodies being received right now. */
    int activePublic() {
        return limits.maxConcurrentPublicReads() - publicSlots.availablePermits();
    }

    ScheduledExecutorService timer() {
        return timer;
    }

    /** Every body read has one and almost none expire: an entry of {@link Deadlines}, not a timer task each. */
    Deadlines.Deadline deadline(Duration after, Runnable action) {
        return deadlines.start(after, action);
    }

    /**
     * Counts a refusal; logs at most once a minute, with the counts since the last line, so a flood
     * of slow clients gives an operator one line a minute rather than one per connection.
     */
    void refused(Refusal why, String remoteAddress) {
        (why == Refusal.TIMED_OUT ? timedOut : overCapacity).incrementAndGet();
        long now = System.nanoTime();
        long last = lastLog.get();
        if (now - last < LOG_EVERY_NANOS || !lastLog.compareAndSet(last, now)) {
            return;
        }
        long slow = timedOut.getAndSet(0);
        long busy = overCapacity.getAndSet(0);
        LOG.log(System.Logger.Level.WARNING, "Refused slow request bodies since the last report: {0} not received "
                        + "within {1} s ({2} s on public routes; answered 408), {3} over the cap of {4} bodies "
                        + "({5} uploads, and {6} on public routes) received at once or over the {8} bytes they may buffer (answered 503); latest from {7}",
                slow, limits.timeout().toSeconds(), limits.publicTimeout().toSeconds(), busy,
                limits.maxConcurrentReads(), limits.maxConcurrentStreamedReads(), limits.maxConcurrentPublicReads(),
                remoteAddress, limits.maxBufferedBytes());
    }

    @Override
    public void close() {
        timer.shutdownNow();
        try {
            if (!timer.awaitTermination(5, TimeUnit.SECONDS)) {
                LOG.log(System.Logger.Level.WARNING, "The servlet timer did not stop within 5 s");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
