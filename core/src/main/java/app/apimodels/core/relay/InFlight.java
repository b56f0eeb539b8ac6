package app.apimodels.core.relay;

import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Calls in progress, so a shutdown can refuse new ones, wait for these to finish, and cut the
 * stragglers cleanly (each cut is settled like a client disconnect).
 */
public final class InFlight {

    private final Set<Runnable> cutters = ConcurrentHashMap.newKeySet();
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition empty = lock.newCondition();
    private volatile boolean closing;

    /** Registers a call; false if the engine is shutting down (answer 503). */
    public boolean enter(Runnable cut) {
        if (closing) {
            return false;
        }
        cutters.add(cut);
        if (closing) {
            cutters.remove(cut);
            return false;
        }
        return true;
    }

    public void exit(Runnable cut) {
        if (cutters.remove(cut) && cutters.isEmpty()) {
            lock.lock();
            try {
                empty.signalAll();
            } finally {
                lock.unlock();
            }
        }
    }

    public int size() {
        return cutters.size();
    }

    /** Refuses new calls, waits up to {@code grace} for running ones, then cuts what is left. */
    public void drain(Duration grace) {
        closing = true;
        long deadline = System.nanoTime() + grace.toNanos();
        lock.lock();
        try {
            while (!cutters.isEmpty()) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    break;
                }
                empty.await(Math.min(left, TimeUnit.MILLISECONDS.toNanos(50)), TimeUnit.NANOSECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            lock.unlock();
        }
        for (Runnable cut : Set.copyOf(cutters)) {
            cut.run();
        }
    }
}
