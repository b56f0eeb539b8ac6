package app.apimodels.core.deadlines;

import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Many deadlines of which almost none expire (every call's timeout, cancelled when its answer
 * comes), on one timer with one pending check rather than a timer task each.
 *
 * <p>A task per deadline cost every call a schedule and a cancel on the timer's queue, both under
 * its lock and shared by every request thread. Here starting a deadline adds it to a concurrent
 * set and cancelling it removes it; the timer is asked for a check only when a deadline is due
 * before the pending check's, which for deadlines of one length started one after the other is
 * almost never. The check expires what is due, then asks for the next one at the earliest deadline
 * left (as Jetty's {@code CyclicTimeouts} does for its requests).
 *
 * <p>A check runs {@link #SLACK} after the deadline it was asked for, so that deadlines close
 * together expire in one check and a check never runs early: a deadline fires at most that much
 * (plus the timer's own delay) after it passed, and checks run at most once per {@code SLACK}, each
 * looking at every pending deadline.
 */
public final class Deadlines {

    private static final System.Logger LOG = System.getLogger(Deadlines.class.getName());

    /** How late a deadline may fire, so that deadlines close together expire in one check. */
    public static final Duration SLACK = Duration.ofMillis(20);
    private static final long SLACK_NANOS = SLACK.toNanos();
    /** No check pending. */
    private static final long NONE = Long.MAX_VALUE;

    private final ScheduledExecutorService timer;
    private final Set<Deadline> pending = ConcurrentHashMap.newKeySet();
    /** The deadline (System.nanoTime()) the pending check was asked for; NONE while none is. */
    private final AtomicLong checkFor = new AtomicLong(NONE);

    public Deadlines(ScheduledExecutorService timer) {
        this.timer = timer;
    }

    /** One pending deadline. */
    public final class Deadline {
        private final long due;
        private final Runnable onExpiry;

        private Deadline(long due, Runnable onExpiry) {
            this.due = due;
            this.onExpiry = onExpiry;
        }

        /** Drops the deadline; true if it had not expired (its action will never run). */
        public boolean cancel() {
            return pending.remove(this);
        }
    }

    /**
     * Runs {@code onExpiry} on the timer's thread once {@code after} has passed, unless the
     * deadline is {@linkplain Deadline#cancel cancelled} first.
     *
     * @throws RejectedExecutionException when the timer is shut down and a check was needed
     */
    public Deadline start(Duration after, Runnable onExpiry) {
        Deadline deadline = new Deadline(System.nanoTime() + after.toNanos(), onExpiry);
        pending.add(deadline);
        checkBy(deadline.due);
        return deadline;
    }

    /** Deadlines started and neither expired nor cancelled. */
    public int pending() {
        return pending.size();
    }

    /** Makes sure a check runs for {@code due}: asks for one unless the pending check is for it or earlier. */
    private void checkBy(long due) {
        while (true) {
            long current = checkFor.get();
            if (current != NONE && current - due <= 0) {
                return;
            }
            if (checkFor.compareAndSet(current, due)) {
                try {
                    timer.schedule(this::check, Math.max(0, due - System.nanoTime()) + SLACK_NANOS, TimeUnit.NANOSECONDS);
                } catch (RejectedExecutionException e) {
                    checkFor.compareAndSet(due, NONE); // nothing will check: the next start asks again
                    throw e;
                }
                return;
            }
        }
    }

    /**
     * Expires what is due and asks for a check at the earliest deadline left. Forgetting the
     * pending check first means a deadline started meanwhile asks for its own, whether or not
     * this pass sees it.
     */
    private void check() {
        checkFor.set(NONE);
        long now = System.nanoTime();
        long next = NONE;
        for (Deadline deadline : pending) {
            if (deadline.due - now <= 0) {
                if (pending.remove(deadline)) {
                    expire(deadline);
                }
            } else if (next == NONE || deadline.due - next < 0) {
                next = deadline.due;
            }
        }
        if (next != NONE) {
            try {
                checkBy(next);
            } catch (RejectedExecutionException e) {
                // The timer is shutting down: what is still pending is not expired.
            }
        }
    }

    private static void expire(Deadline deadline) {
        try {
            deadline.onExpiry.run();
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.ERROR, "a deadline's action failed", e);
        }
    }
}
