package app.apimodels.core.relay;

import app.apimodels.core.catalog.Catalog;
import app.apimodels.core.failure.Failure;
import app.apimodels.core.routing.Attempt;
import app.apimodels.core.web.FailureMapping;
import app.apimodels.spi.web.EventStream;
import app.apimodels.core.web.Sse;
import app.apimodels.spi.http.Cancellable;
import app.apimodels.spi.provider.ProviderException;
import app.apimodels.spi.provider.StreamChunk;
import app.apimodels.spi.provider.StreamCut;
import app.apimodels.spi.provider.StreamSink;
import app.apimodels.spi.provider.Usage;

import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * One streamed chat call. The event stream opens with the first chunk (or the first keep-alive
 * comment, while the upstream thinks); until a chunk reached the client, a failing route — or one
 * silent past its first-byte timeout — may be replaced by the next one the plan gives. Every path
 * ends the call exactly once: completed (settle the reported or counted usage), failed upstream
 * (release: nothing charged; also when the route's whole timeout passes mid-stream), or cut by the
 * client or a shutdown (cancel upstream, settle what was used up to the cut, never more than the hold).
 */
final class StreamRelay {

    private static final System.Logger LOG = System.getLogger(StreamRelay.class.getName());

    private final Relay relay;
    private final Relay.Call call;
    private final Runnable onEnd;
    private final StringBuilder text = new StringBuilder();
    private EventStream events;
    private boolean contentSent;
    private boolean ended;
    private int attempt = -1;
    private Cancellable upstream;
    private Usage usage;
    private Attempt current;
    /**
     * One timer task per stream, not one per deadline: with thousands of streams opening, scheduling
     * and cancelling three tasks each queued threads on the shared timer's lock. Its deadlines are
     * System.nanoTime() moments — the next keep-alive comment (until content), the current attempt's
     * first byte (until content) and its whole timeout; moving one later needs no rescheduling (the
     * check finds nothing due and sets itself for the next), moving one earlier replaces it.
     */
    private final long keepAliveNanos;
    private long keepAliveAt;
    private long firstByteNanos;
    private long firstByteAt;
    private long totalAt;
    private ScheduledFuture<?> pending;
    /** When the pending check runs, and its number: a replaced check that runs anyway sees it is stale. */
    private long checkAt;
    private int checks;

    StreamRelay(Relay relay, Relay.Call call, Attempt first, Runnable onEnd) {
        this.relay = relay;
        this.call = call;
        this.current = first;
        this.onEnd = onEnd;
        this.keepAliveNanos = TimeUnit.MILLISECONDS.toNanos(Math.max(0, relay.keepAlive().toMillis()));
    }

    synchronized void start() {
        keepAliveAt = System.nanoTime() + keepAliveNanos;
        next(current);
    }

    private void next(Attempt a) {
        attempt++;
        current = a;
        Catalog.Target target = a.target();
        call.target = target;
        call.attempts++;
        call.attemptStarted();
        usage = null;
        upstream = null;
        int mine = attempt;
        long now = System.nanoTime();
        firstByteNanos = nanos(a.firstByteTimeout().toMillis());
        firstByteAt = now + firstByteNanos;
        totalAt = now + nanos(a.timeout().toMillis());
        schedule();
        try {
            Cancellable started = a.client().stream(call.requestFor(target), new Sink(mine));
            if (mine == attempt) { // not already failed over by a failure the provider reported at once
                upstream = started;
            }
        } catch (RuntimeException e) {
            onError(mine, Upstream.cause(e));
        }
    }

    /** Milliseconds as nanoseconds, at most ~100 years ahead so that nanoTime differences never overflow. */
    private static long nanos(long millis) {
        return TimeUnit.MILLISECONDS.toNanos(Math.min(Math.max(0, millis), 100L * 365 * 24 * 3600 * 1000));
    }

    /** The next moment something may be due; the caller holds this object's lock. */
    private long nextDue() {
        long due = totalAt;
        if (!contentSent) {
            if (firstByteNanos > 0 && firstByteAt - due < 0) {
                due = firstByteAt;
            }
            if (keepAliveNanos > 0 && keepAliveAt - due < 0) {
                due = keepAliveAt;
            }
        }
        return due;
    }

    /** Makes sure a check runs by the next due moment; the caller holds this object's lock. */
    private void schedule() {
        long due = nextDue();
        if (pending != null) {
            if (checkAt - due <= 0) {
                return; // it runs first, finds nothing due and sets itself for later
            }
            pending.cancel(false);
        }
        int mine = ++checks;
        checkAt = due;
        pending = relay.timer().schedule(() -> check(mine), Math.max(0, due - System.nanoTime()), TimeUnit.NANOSECONDS);
    }

    /**
     * Acts on what is due: past the whole timeout the attempt fails (the next route may take over
     * before content; after it the stream fails, without a verdict on the route), past the first-byte timeout before content the
     * next route may take over, and a keep-alive comment goes out while no content has. The silent
     * upstream is cancelled and a gone client cut outside the lock (see {@link #cut}).
     */
    private void check(int which) {
        Cancellable silent = null;
        boolean gone = false;
        synchronized (this) {
            if (ended || which != checks) {
                return;
            }
            pending = null;
            long now = System.nanoTime();
            boolean firstByte = !contentSent && firstByteNanos > 0 && now - firstByteAt >= 0;
            if (firstByte || now - totalAt >= 0) {
                silent = upstream;
                if (contentSent) {
                    // The route was delivering; the deadline that cuts it is the gateway's own and
                    // says nothing against the route (its first content already counted for it).
                    current.unjudged();
                }
                onError(attempt, new ProviderException(ProviderException.Kind.TIMEOUT, 0, firstByte
                        ? "the upstream sent nothing within the route's first-byte timeout"
                        : "the upstream did not finish within the route's timeout", null, null));
            }
            if (!ended && !contentSent && keepAliveNanos > 0 && now - keepAliveAt >= 0) {
                // The next beat on the same grid (start + n × interval): beats a late run missed are skipped, not sent in a burst.
                keepAliveAt += ((now - keepAliveAt) / keepAliveNanos + 1) * keepAliveNanos;
                open();
                gone = !events.send(Sse.KEEP_ALIVE);
            }
            if (!ended && !gone && pending == null) {
                schedule();
            }
        }
        if (silent != null) {
            silent.cancel();
        }
        if (gone) {
            cut();
        }
    }

    private final class Sink implements StreamSink {
        private final int attemptNo;

        Sink(int attemptNo) {
            this.attemptNo = attemptNo;
        }

        @Override
        public void onChunk(StreamChunk chunk) {
            StreamRelay.this.onChunk(attemptNo, chunk);
        }

        @Override
        public void whenReady(Runnable next) {
            StreamRelay.this.whenReady(attemptNo, next);
        }

        @Override
        public void onUsage(Usage u) {
            synchronized (StreamRelay.this) {
                if (attemptNo == attempt) {
                    usage = u;
                }
            }
        }

        @Override
        public void onComplete() {
            StreamRelay.this.onComplete(attemptNo);
        }

        @Override
        public void onError(ProviderException error) {
            StreamRelay.this.onError(attemptNo, error);
        }
    }

    private void onChunk(int attemptNo, StreamChunk chunk) {
        boolean delivered;
        synchronized (this) {
            if (ended || attemptNo != attempt) {
                return;
            }
            open();
            call.firstChunk();
            if (!contentSent) {
                current.firstByte(); // the pending check finds its first-byte and keep-alive deadlines gone
                call.contentFlows();
            }
            contentSent = true;
            text.append(chunk.text());
            delivered = events.send(ModelName.rewrite(Sse.head(chunk.event()), chunk.data(),
                    call.target.route().upstreamModel(), call.model.id(), Sse.END));
        }
        if (!delivered) {
            cut();
        }
    }

    /**
     * The provider asks for its upstream's next piece once the client has taken what it sent so
     * far: a slow client holds back its own upstream stream, never a thread. Waited for outside
     * this object's lock; a stale attempt or an ended call reads on at once (it is being cancelled).
     */
    private void whenReady(int attemptNo, Runnable next) {
        EventStream open;
        synchronized (this) {
            open = ended || attemptNo != attempt ? null : events;
        }
        if (open == null) {
            next.run();
        } else {
            open.whenSent(next);
        }
    }

    private synchronized void onComplete(int attemptNo) {
        if (ended || attemptNo != attempt) {
            return;
        }
        current.succeeded();
        call.attemptEnded(usage, null);
        boolean estimated = usage == null;
        Usage used = estimated ? call.estimate(text.toString()) : usage;
        long cost = call.cost(used);
        end();
        // Queued before [DONE] leaves, so a client's next read (after a ledger flush) sees it.
        relay.settle(call, cost, call.record(200, null, used, estimated, cost));
        open();
        if (call.endpoint.endsWithDone()) {
            events.send(Sse.DONE);
        }
        events.close();
    }

    private synchronized void onError(int attemptNo, ProviderException error) {
        if (ended || attemptNo != attempt) {
            return;
        }
        call.attemptEnded(null, Upstream.errorType(error));
        current.failed(error);
        if (error.getCause() instanceof StreamCut cut) {
            // Rare and otherwise unexplained (the client sees only "the upstream failed"): what came, by route.
            LOG.log(System.Logger.Level.WARNING, "call {0}: the {1} stream of model ''{2}'' from provider ''{3}'' "
                            + "(upstream model ''{4}'') ended before it finished{5}: {6}",
                    call.id, call.endpoint.logName, call.model.id(), call.target.provider().id(),
                    call.target.route().upstreamModel(), contentSent ? " (part of it was relayed)" : "", cut.getMessage());
        }
        if (!contentSent) {
            Attempt another = current.plan().next(current, error);
            if (another != null) {
                next(another);
                return;
            }
        }
        end();
        if (events == null) {
            relay.failed(call, error);
            return;
        }
        // Headers are out: report the failure in the stream, as the vendors do, and charge nothing.
        Failure f = Upstream.failure(error);
        relay.release(call, call.record(FailureMapping.status(f.reason()), "stream failed: " + error.getMessage(), Usage.NONE, false, 0));
        events.send(call.streamError(f));
        events.close();
    }

    /**
     * The client went away (or the engine is shutting down): stop upstream, charge up to the cut.
     * The upstream is cancelled outside this object's lock, so a provider that is delivering a
     * chunk at that moment cannot deadlock against it (its late chunk is ignored).
     */
    void cut() {
        Cancellable running;
        synchronized (this) {
            if (ended) {
                return;
            }
            end();
            // Content delivered before the cut shows the route working; a cut before it says nothing.
            if (contentSent) {
                current.succeeded();
            } else {
                current.unjudged();
            }
            running = upstream;
            call.attemptEnded(usage, Upstream.CANCELLED);
            if (events != null) {
                events.close();
            }
            boolean estimated = usage == null;
            Usage used = estimated ? call.estimate(text.toString()) : usage;
            long cost = call.cost(used);
            relay.settle(call, cost, call.record(Relay.CLIENT_CLOSED, "client closed the stream", used, estimated, cost));
        }
        if (running != null) {
            running.cancel();
        }
    }

    private void open() {
        if (events == null) {
            events = call.exchange.openEventStream();
            events.onClientGone(this::cut);
        }
    }

    private void end() {
        ended = true;
        if (pending != null) {
            pending.cancel(false);
            pending = null;
        }
        onEnd.run();
    }
}
