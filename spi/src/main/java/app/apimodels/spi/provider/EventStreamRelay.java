package app.apimodels.spi.provider;

import app.apimodels.spi.http.Cancellable;
import app.apimodels.spi.http.HttpBodyHandler;
import app.apimodels.spi.http.SseParser;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.util.Map;

/**
 * The part every server-sent-events provider stream shares: it buffers an error answer (outside
 * 2xx) to read it at the end, parses the events of a good one and hands each event's data to
 * {@link #onEvent}, keeps the last usage reported, and ends the {@link StreamSink} exactly once
 * (a body that ends before the vendor's last event is a cut stream, {@link ProviderException.Kind#NETWORK},
 * with what came as its cause, {@link StreamCut}, which the engine logs as a warning naming the route).
 * The transport calls it one callback at a time, so only {@link #cancel()} crosses threads. A
 * transport with backpressure gets the next piece once the sink has passed this one's events on
 * ({@link StreamSink#whenReady}): a slow client slows its own upstream stream, nothing else.
 * Each event's data is lent for the call ({@link SseParser}): a provider that only reads it (to
 * translate it) needs no copy; one that passes it on copies it.
 */
public abstract class EventStreamRelay implements HttpBodyHandler {

    /** Enough of an error answer to find its message; the rest is dropped. */
    private static final int MAX_ERROR_BODY = 64 * 1024;
    /** Of the last event, what a cut stream's report ({@link StreamCut}) shows. */
    private static final int LAST_EVENT_SHOWN = 96;

    private final StreamSink sink;
    private final SseParser parser = new SseParser(this::event);
    private volatile Cancellable upstream;
    /** Set once the sink got its last call or the caller cancelled: nothing more is delivered. */
    private volatile boolean ended;
    /** Set when the upstream exchange should stop early (cancelled, or a bad event). */
    private volatile boolean stopUpstream;
    private int status;
    private ByteArrayOutputStream errorBody;
    /** The head of an answer outside 2xx, for its {@code Retry-After}. */
    private Map<String, String> errorHeaders;
    private Usage usage;
    /** For a cut stream's report: what came, kept as it comes without an array per piece or event. */
    private String contentType;
    private long bytes;
    private long events;
    private byte[] lastEvent;
    private int lastEventLength;

    protected EventStreamRelay(StreamSink sink) {
        this.sink = sink;
    }

    /**
     * One event's data, {@code buffer[0, length)} (never empty: empty events are keep-alives),
     * valid only during the call: what is kept or delivered is copied ({@code Arrays.copyOf(buffer, length)}).
     */
    protected abstract void onEvent(byte[] buffer, int length);

    /** Whether the events seen so far make a whole answer, if the body ends now. */
    protected abstract boolean finished();

    /** The failure an answer outside 2xx stands for; {@code body} is its first bytes. */
    protected abstract ProviderException errorFor(int status, byte[] body);

    /** The upstream exchange, known once the transport returned it (callbacks may come first). */
    public void attach(Cancellable exchange) {
        upstream = exchange;
        if (stopUpstream) {
            exchange.cancel();
        }
    }

    public void cancel() {
        ended = true;
        stopUpstreamExchange();
    }

    @Override
    public final void onHead(int status, Map<String, String> headers) {
        this.status = status;
        contentType = headers.get("content-type"); // names are lower-case (HttpBodyHandler#onHead)
        if (status / 100 != 2) {
            errorHeaders = headers;
            errorBody = new ByteArrayOutputStream();
        }
    }

    @Override
    public final void onData(ByteBuffer data) {
        if (ended) {
            return;
        }
        bytes += data.remaining();
        if (errorBody == null) {
            parser.feed(data);
        } else {
            byte[] bytes = new byte[Math.min(MAX_ERROR_BODY - errorBody.size(), data.remaining())];
            data.get(bytes);
            errorBody.write(bytes, 0, bytes.length);
        }
    }

    @Override
    public final void onData(ByteBuffer data, Runnable next) {
        onData(data);
        if (ended || errorBody != null) {
            next.run(); // nothing was passed on: read on (to the end, or to the error's message)
        } else {
            sink.whenReady(next);
        }
    }

    @Override
    public final void onComplete() {
        if (ended) {
            return;
        }
        if (errorBody != null) {
            fail(errorFor(status, errorBody.toByteArray()).withRetryAfter(errorHeaders));
        } else if (finished()) {
            complete();
        } else {
            fail(new ProviderException(ProviderException.Kind.NETWORK, "upstream stream ended before it finished", cut()));
        }
    }

    @Override
    public final void onError(Throwable error) {
        if (!ended) {
            fail(ProviderException.fromTransport(error));
        }
    }

    private void event(byte[] buffer, int length) {
        if (!ended && length > 0) {
            events++;
            if (lastEvent == null) {
                lastEvent = new byte[LAST_EVENT_SHOWN];
            }
            lastEventLength = length;
            System.arraycopy(buffer, 0, lastEvent, 0, Math.min(length, LAST_EVENT_SHOWN));
            onEvent(buffer, length);
        }
    }

    /** What the upstream sent before its stream ended unfinished. */
    private StreamCut cut() {
        String last = null;
        if (lastEvent != null) {
            int shown = Math.min(lastEventLength, LAST_EVENT_SHOWN);
            // Printable ASCII as it is, other bytes (a cut multi-byte character, a control byte) escaped.
            StringBuilder text = new StringBuilder(shown + 16);
            for (int i = 0; i < shown; i++) {
                int b = lastEvent[i] & 0xff;
                if (b >= 0x20 && b < 0x7f && b != '\\') {
                    text.append((char) b);
                } else {
                    text.append(String.format("\\x%02x", b));
                }
            }
            last = text.append(shown < lastEventLength ? "..." : "").toString();
        }
        return new StreamCut(status, contentType, bytes, events, lastEventLength, last);
    }

    /** Passes a chunk on, unless the stream has ended. */
    protected final void deliver(StreamChunk chunk) {
        if (!ended) {
            sink.onChunk(chunk);
        }
    }

    /**
     * Keeps {@code reported} as the stream's usage, replacing any before: upstreams that report
     * more than once send running totals. It is passed on when the stream ends, either way.
     */
    protected final void usage(Usage reported) {
        usage = reported;
    }

    /** Ends the stream well (the vendor's end marker came). */
    protected final void complete() {
        if (ended) {
            return;
        }
        ended = true;
        if (usage != null) {
            sink.onUsage(usage);
        }
        sink.onComplete();
    }

    /** Ends with an error; usage already reported still counts, so it is passed on first. */
    protected final void fail(ProviderException error) {
        ended = true;
        if (usage != null) {
            sink.onUsage(usage);
        }
        sink.onError(error);
    }

    /** Ends with an error and stops the upstream exchange (a bad event: nothing more is read). */
    protected final void failAndStop(ProviderException error) {
        fail(error);
        stopUpstreamExchange();
    }

    private void stopUpstreamExchange() {
        stopUpstream = true;
        Cancellable exchange = upstream;
        if (exchange != null) {
            exchange.cancel();
        }
    }
}
