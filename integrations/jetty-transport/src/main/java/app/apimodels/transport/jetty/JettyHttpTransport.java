package app.apimodels.transport.jetty;

import app.apimodels.spi.http.Cancellable;
import app.apimodels.spi.http.HttpBodyHandler;
import app.apimodels.spi.http.HttpRequestSpec;
import app.apimodels.spi.http.HttpResponseData;
import app.apimodels.spi.http.HttpTransport;
import app.apimodels.spi.http.TransportException;
import app.apimodels.spi.http.TransportOptions;
import org.eclipse.jetty.client.BufferingResponseListener;
import org.eclipse.jetty.client.HttpClient;
import org.eclipse.jetty.client.HttpClientTransport;
import org.eclipse.jetty.client.MultiplexConnectionPool;
import org.eclipse.jetty.client.Request;
import org.eclipse.jetty.client.Response;
import org.eclipse.jetty.client.Result;
import org.eclipse.jetty.client.transport.HttpClientTransportOverHTTP;
import org.eclipse.jetty.http.HttpField;
import org.eclipse.jetty.http2.api.Session;
import org.eclipse.jetty.http2.api.Stream;
import org.eclipse.jetty.http2.client.HTTP2Client;
import org.eclipse.jetty.http2.client.transport.HttpClientTransportOverHTTP2;
import org.eclipse.jetty.http2.frames.GoAwayFrame;
import org.eclipse.jetty.http2.frames.HeadersFrame;
import org.eclipse.jetty.http2.frames.PingFrame;
import org.eclipse.jetty.http2.frames.ResetFrame;
import org.eclipse.jetty.http2.frames.SettingsFrame;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.io.Transport;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.Promise;
import org.eclipse.jetty.util.ssl.SslContextFactory;
import org.eclipse.jetty.util.thread.Invocable;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.eclipse.jetty.util.thread.ScheduledExecutorScheduler;
import org.eclipse.jetty.util.thread.Scheduler;

import java.io.EOFException;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.SocketAddress;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.UnresolvedAddressException;
import java.time.Duration;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * {@link HttpTransport} on Jetty's {@link HttpClient}: several times the throughput of the JDK
 * client on the same machine (docs/performance-ceilings.md). Fully non-blocking: buffered calls complete
 * from a listener, streams are read with Jetty's demand API, one piece at a time, the next one asked
 * for when the handler has passed the last one on ({@link HttpBodyHandler#onData(ByteBuffer, Runnable)}).
 */
public final class JettyHttpTransport implements HttpTransport {

    private static final System.Logger LOG = System.getLogger(JettyHttpTransport.class.getName());

    /** Headers Jetty derives from the request itself; a copied one must not conflict. */
    private static final Set<String> MANAGED_HEADERS =
            Set.of("host", "content-length", "connection", "transfer-encoding", "upgrade", "expect");
    /**
     * Requests waiting for a connection per upstream once all connections are busy; beyond it
     * calls fail at once instead of queueing without bound behind a slow upstream.
     */
    private static final int MAX_QUEUED_PER_UPSTREAM = 4096;
    /**
     * How long an unused pooled connection is kept: below the 5 s keep-alive of uvicorn (vLLM)
     * and Node servers, so we close an idle connection before the upstream does rather than
     * send a request on one it is just closing.
     */
    private static final Duration POOLED_IDLE = Duration.ofSeconds(4);
    /**
     * The streams a new HTTP/2 connection is expected to take until the server's SETTINGS say: 100,
     * the least a server should allow (RFC 9113, 6.5.2). A server allowing fewer gets more connections
     * once its first ones are set up.
     */
    private static final int STREAMS_PER_NEW_CONNECTION = 100;
    /** Largest buffered response; a bound so one runaway answer cannot exhaust the heap. */
    private static final int MAX_BUFFERED_BYTES = 256 * 1024 * 1024;

    private final HttpClient client;

    /** HTTP/1.1: one connection per call in flight. */
    public JettyHttpTransport(TransportOptions options) {
        // The default connector: no h2c upgrade attempts, which self-hosted upstreams
        // (uvicorn/vLLM, Ollama) handle badly; the same as the JDK transport.
        this(options, new HttpClientTransportOverHTTP());
    }

    /**
     * HTTP/2 only: h2 negotiated by ALPN on https, prior knowledge (h2c) on http. Many calls share
     * one connection, up to the upstream's limit of concurrent streams (usually 100 or more), so
     * ten thousand held-open streams take a hundred sockets rather than ten thousand.
     */
    public static JettyHttpTransport http2(TransportOptions options) {
        long setUpLimit = options.connectTimeout().toMillis();
        HttpClientTransportOverHTTP2 protocol = new HttpClientTransportOverHTTP2(new HTTP2Client()) {
            @Override
            protected void connect(Transport transport, SslContextFactory.Client tls, SocketAddress address,
                    Session.Listener listener, Promise<Session> promise, Map<String, Object> context) {
                super.connect(transport, tls, address, new IdleOnlyWithoutStreams(listener, setUpLimit), promise, context);
            }
        };
        // Jetty counts a connection being set up as carrying one stream, so a burst of first calls
        // opened one connection per call (thousands at once against one upstream, each slower to
        // set up for it); counted as the common limit, a burst of N opens N / 100.
        protocol.setConnectionPoolFactory(destination -> new MultiplexConnectionPool(
                destination, options.maxConnectionsPerHost(), STREAMS_PER_NEW_CONNECTION));
        return new JettyHttpTransport(options, protocol);
    }

    /**
     * The listener of one HTTP/2 connection, Jetty's own, except that the pool's idle timeout
     * ({@link #POOLED_IDLE}, meant for unused connections) closes the connection only once it is
     * set up and no stream is open on it. Jetty applies that timeout to a connection that received
     * nothing for that long, and then fails whatever waits on it:
     * <ul>
     * <li>with streams open, every stream on it: a model thinking for more than 4 s before its
     * next token lost its stream, and under load (a reader late by seconds) a hundred streams
     * sharing the connection failed at once. Each stream bounds its own silence (the request's
     * timeout, idle timeout and the route's deadlines);</li>
     * <li>while it is being set up (connect, prefaces, the server's SETTINGS), every request queued
     * for the upstream, on any connection: a busy upstream slow to answer a new connection made a
     * burst of first streams fail as timeouts (504). Setting up is bounded by the connect timeout
     * instead, counted from the start of the connect.</li>
     * </ul>
     * Jetty asks again after each further idle period. This is the public way to it: the listener
     * decides whether an idle timeout closes the session ({@link Session.Listener#onIdleTimeout});
     * the timeouts themselves (client, endpoint, HTTP2Client) apply to a connection whatever it
     * carries, and the pool has no idle timer of its own. Every method of {@link Session.Listener}
     * (12.1.x) is passed on to Jetty's; one a later Jetty adds would get the interface's default
     * here instead, so check this list when raising Jetty's version.
     */
    private static final class IdleOnlyWithoutStreams implements Session.Listener {
        private final Session.Listener jetty;
        private final long setUpLimitMillis;
        private final long startedAt = System.nanoTime();
        private volatile boolean setUp;

        IdleOnlyWithoutStreams(Session.Listener jetty, long setUpLimitMillis) {
            this.jetty = jetty;
            this.setUpLimitMillis = setUpLimitMillis;
        }

        @Override
        public boolean onIdleTimeout(Session session) {
            boolean idle = setUp
                    ? session.getStreams().isEmpty()
                    : TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startedAt) >= setUpLimitMillis;
            return idle && jetty.onIdleTimeout(session);
        }

        @Override
        public void onSettings(Session session, SettingsFrame frame) {
            jetty.onSettings(session, frame); // the server's first SETTINGS completes the set-up
            setUp = true;
        }

        @Override
        public Map<Integer, Integer> onPreface(Session session) {
            return jetty.onPreface(session);
        }

        @Override
        public Stream.Listener onNewStream(Stream stream, HeadersFrame frame) {
            return jetty.onNewStream(stream, frame);
        }

        @Override
        public void onPing(Session session, PingFrame frame) {
            jetty.onPing(session, frame);
        }

        @Override
        public void onReset(Session session, ResetFrame frame) {
            jetty.onReset(session, frame);
        }

        @Override
        public void onGoAway(Session session, GoAwayFrame frame) {
            jetty.onGoAway(session, frame);
        }

        @Override
        public void onClose(Session session, GoAwayFrame frame, Callback callback) {
            jetty.onClose(session, frame, callback);
        }

        @Override
        public void onFailure(Session session, Throwable failure, Callback callback) {
            jetty.onFailure(session, failure, callback);
        }
    }

    private JettyHttpTransport(TransportOptions options, HttpClientTransport protocol) {
        QueuedThreadPool threads = new WithoutContextLoader();
        threads.setName("apimodels-jetty-http");
        threads.setDaemon(true);
        client = new HttpClient(protocol);
        client.setExecutor(threads);
        client.setScheduler(timerWithoutContextLoader());
        client.setConnectTimeout(options.connectTimeout().toMillis());
        client.setMaxConnectionsPerDestination(options.maxConnectionsPerHost());
        client.setMaxRequestsQueuedPerDestination(MAX_QUEUED_PER_UPSTREAM);
        client.setIdleTimeout(POOLED_IDLE.toMillis());
        // The upstream URL is configured; a redirect could point our credentials elsewhere.
        client.setFollowRedirects(false);
        try {
            client.start();
        } catch (Exception e) {
            throw new IllegalStateException("could not start the Jetty HTTP client", e);
        }
        // Both are filled with defaults by start(). Answers go to the provider as they came: no
        // redirects, no authentication challenges (Jetty fails a 401 without WWW-Authenticate,
        // which many APIs send), no 100-continue, and no Accept-Encoding, so bodies and headers
        // are the upstream's own, the same as with the JDK transport.
        client.getProtocolHandlers().clear();
        client.getContentDecoderFactories().clear();
    }

    @Override
    public CompletableFuture<HttpResponseData> send(HttpRequestSpec spec) {
        CompletableFuture<HttpResponseData> result = new CompletableFuture<>();
        Request request;
        try {
            request = request(spec)
                    .timeout(spec.timeout().toMillis(), TimeUnit.MILLISECONDS)
                    // Silence is bounded by the whole-exchange limit, not the pool's idle timeout.
                    .idleTimeout(spec.timeout().toMillis(), TimeUnit.MILLISECONDS);
        } catch (RuntimeException e) {
            result.completeExceptionally(new TransportException(TransportException.Kind.OTHER, e.getMessage(), e));
            return result;
        }
        request.send(new BufferingResponseListener(MAX_BUFFERED_BYTES) {
            @Override
            public void onComplete(Result outcome) {
                if (outcome.isFailed()) {
                    result.completeExceptionally(map(outcome.getFailure()));
                } else {
                    Response response = outcome.getResponse();
                    result.complete(new HttpResponseData(response.getStatus(), headers(response), getContent()));
                }
            }
        });
        // A caller giving up (cancelling our future) aborts the exchange.
        result.whenComplete((response, error) -> {
            if (result.isCancelled()) {
                request.abort(new CancellationException("cancelled by the caller"));
            }
        });
        return result;
    }

    @Override
    public Cancellable stream(HttpRequestSpec spec, HttpBodyHandler handler) {
        Request request;
        try {
            // Jetty's own idle timeout would also count the wait for the head; the stream
            // enforces both limits itself, and this is only the connection-level backstop.
            long backstop = Math.max(spec.timeout().toMillis(), spec.idleTimeout().toMillis());
            request = request(spec).idleTimeout(backstop, TimeUnit.MILLISECONDS);
        } catch (RuntimeException e) {
            handler.onError(new TransportException(TransportException.Kind.OTHER, e.getMessage(), e));
            return () -> { };
        }
        StreamExchange exchange = new StreamExchange(spec, request, handler);
        exchange.start();
        return exchange::cancel;
    }

    @Override
    public void close() {
        try {
            client.stop();
        } catch (Exception e) {
            LOG.log(System.Logger.Level.WARNING, "stopping the Jetty HTTP client failed", e);
        }
    }

    private Request request(HttpRequestSpec spec) {
        Request request = client.newRequest(spec.uri()).method(spec.method());
        request.headers(headers -> spec.headers().forEach((name, value) -> {
            if (!MANAGED_HEADERS.contains(name.toLowerCase(Locale.ROOT))) {
                headers.put(name, value);
            }
        }));
        if (spec.body().length > 0) {
            // Jetty keeps an explicit Content-Type header over the content's own type.
            request.body(new ReadOnce(spec.body()));
        }
        return request;
    }

    private static Map<String, String> headers(Response response) {
        Map<String, String> first = new HashMap<>();
        for (HttpField field : response.getHeaders()) {
            first.putIfAbsent(field.getName().toLowerCase(Locale.ROOT), field.getValue());
        }
        return first;
    }

    /** Classifies what Jetty failed with; it reports causes through types and messages. */
    private static TransportException map(Throwable failure) {
        Throwable e = failure;
        while ((e instanceof CompletionException || e instanceof ExecutionException) && e.getCause() != null) {
            e = e.getCause();
        }
        if (e instanceof TransportException transportException) {
            return transportException;
        }
        return new TransportException(kind(e), String.valueOf(e.getMessage()), e);
    }

    private static TransportException.Kind kind(Throwable error) {
        for (Throwable t = error; t != null; t = t.getCause()) {
            if (t instanceof ConnectException || t instanceof NoRouteToHostException
                    || t instanceof UnknownHostException || t instanceof UnresolvedAddressException
                    || t instanceof SocketTimeoutException && message(t).contains("connect")) {
                return TransportException.Kind.CONNECT;
            }
        }
        for (Throwable t = error; t != null; t = t.getCause()) {
            if (t instanceof TimeoutException) {
                return TransportException.Kind.TIMEOUT;
            }
        }
        for (Throwable t = error; t != null; t = t.getCause()) {
            String message = message(t);
            if (t instanceof EOFException || t instanceof ClosedChannelException || message.contains("reset")
                    || message.contains("closed") || message.contains("broken pipe")) {
                return TransportException.Kind.RESET;
            }
        }
        return TransportException.Kind.OTHER;
    }

    private static String message(Throwable t) {
        return String.valueOf(t.getMessage()).toLowerCase(Locale.ROOT);
    }

    /**
     * One streamed exchange. Jetty calls the listeners of an exchange in order, but deadlines
     * fire on the scheduler and {@link #cancel()} comes from anywhere, so every call into the
     * handler holds this object's lock and checks {@code finished}: the handler sees one call at
     * a time and nothing after the end or after {@code cancel()} returns. Aborting the Jetty
     * request happens outside the lock, as it may call back into the listeners.
     */
    private final class StreamExchange
            implements Response.HeadersListener, Response.ContentSourceListener, Response.CompleteListener {
        /** The spec's limits, not the spec: a held-open stream must not keep its request body. */
        private final Duration timeout;
        private final Duration idleTimeout;
        private final Request request;
        private final HttpBodyHandler handler;
        private final long startedAt = System.nanoTime();
        private volatile long lastActivity;
        private Scheduler.Task deadline;
        private boolean headReceived;
        private boolean finished;
        /** The body, read one chunk at a time; set once, before its first read. */
        private volatile Content.Source body;
        private volatile Response response;
        /** Reads the next chunk once the body has one; made once, not per chunk (and the same for the next one). */
        private Runnable readOn;
        private final Runnable demandNext = () -> body.demand(readOn);

        StreamExchange(HttpRequestSpec spec, Request request, HttpBodyHandler handler) {
            this.timeout = spec.timeout();
            this.idleTimeout = spec.idleTimeout();
            this.request = request;
            this.handler = handler;
        }

        void start() {
            scheduleDeadline(timeout.toNanos());
            // Jetty registers this for every listener interface it implements.
            request.send(this);
        }

        /** Replaces the pending deadline check, so there is never more than one. */
        private synchronized void scheduleDeadline(long nanos) {
            if (!finished) {
                if (deadline != null) {
                    deadline.cancel();
                }
                deadline = client.getScheduler().schedule(this::checkDeadline, nanos, TimeUnit.NANOSECONDS);
            }
        }

        /**
         * Fails the exchange without a head within the timeout, or with a body silent for longer
         * than the idle timeout; otherwise looks again when that could next pass. Re-checking a
         * timestamp costs each piece one volatile write instead of a reschedule.
         */
        private void checkDeadline() {
            boolean head;
            synchronized (this) {
                head = headReceived;
            }
            long left = head
                    ? lastActivity + idleTimeout.toNanos() - System.nanoTime()
                    : startedAt + timeout.toNanos() - System.nanoTime();
            if (left > 0) {
                scheduleDeadline(left);
                return;
            }
            String message = head ? "no data for " + idleTimeout : "no response within " + timeout;
            if (end(() -> handler.onError(new TransportException(TransportException.Kind.TIMEOUT, message, null)))) {
                request.abort(new TimeoutException(message));
            }
        }

        @Override
        public void onHeaders(Response response) {
            lastActivity = System.nanoTime();
            synchronized (this) {
                headReceived = true;
                if (!finished) {
                    handler.onHead(response.getStatus(), headers(response));
                }
            }
            // From now on the idle timeout applies, which may be shorter than what is pending.
            scheduleDeadline(idleTimeout.toNanos());
        }

        /**
         * The body's chunks are read here rather than through Jetty's {@code AsyncContentListener},
         * whose adapter makes two callbacks and a task per chunk: this exchange makes them once.
         */
        @Override
        public void onContentSource(Response response, Content.Source source) {
            this.response = response;
            this.body = source;
            // Of the source's invocation type, as Jetty's own adapter does: a non-blocking source may call it on its own thread.
            readOn = Invocable.from(Invocable.getInvocationType(source), this::read);
            read();
        }

        /** Reads the next chunk and hands it to the handler, or asks to be called once there is one. */
        private void read() {
            Content.Source source = body;
            Content.Chunk chunk = source.read();
            if (chunk == null) {
                source.demand(readOn);
                return;
            }
            if (Content.Chunk.isFailure(chunk)) {
                response.abort(chunk.getFailure());
                if (!chunk.isLast()) {
                    source.fail(chunk.getFailure());
                }
                return;
            }
            if (chunk.isLast() && !chunk.hasRemaining()) {
                chunk.release();
                return;
            }
            try {
                onContent(chunk.getByteBuffer());
            } catch (Throwable failure) {
                response.abort(failure);
                source.fail(failure);
            } finally {
                chunk.release(); // the handler reads a piece during its call only
            }
        }

        private void onContent(ByteBuffer piece) {
            lastActivity = System.nanoTime();
            synchronized (this) {
                if (finished) {
                    return;
                }
                if (piece.hasRemaining()) {
                    // Jetty reads this exchange no further until the handler says it passed the
                    // piece on, which for a slow client is later, from another thread: this thread
                    // (which may serve every stream of an HTTP/2 connection) never waits for it.
                    handler.onData(piece, demandNext);
                    return;
                }
            }
            demandNext.run();
        }

        @Override
        public void onComplete(Result result) {
            end(() -> {
                if (result.isFailed()) {
                    handler.onError(map(result.getFailure()));
                } else {
                    handler.onComplete();
                }
            });
        }

        void cancel() {
            if (end(() -> { })) {
                request.abort(new CancellationException("cancelled by the caller"));
            }
        }

        /** Runs the last call into the handler unless the exchange already ended; says whether it did. */
        private boolean end(Runnable lastCall) {
            synchronized (this) {
                if (finished) {
                    return false;
                }
                finished = true;
                if (deadline != null) {
                    deadline.cancel();
                }
                lastCall.run();
            }
            return true;
        }
    }

    /**
     * A request body Jetty reads once and that then lets it go: Jetty keeps a request's content for
     * as long as its exchange lasts, and a held-open stream would keep its whole request (a long
     * conversation, often) for as long as it streams. Nothing reads it twice: redirects and
     * authentication challenges, which would send it again, are off.
     */
    private static final class ReadOnce implements Request.Content {
        private final long length;
        private ByteBuffer body;
        private Throwable failure;

        ReadOnce(byte[] body) {
            this.body = ByteBuffer.wrap(body);
            this.length = body.length;
        }

        @Override
        public long getLength() {
            return length;
        }

        @Override
        public synchronized Content.Chunk read() {
            if (failure != null) {
                return Content.Chunk.from(failure);
            }
            ByteBuffer all = body;
            body = null;
            return all == null ? Content.Chunk.EOF : Content.Chunk.from(all, true);
        }

        /** Never waits: {@link #read} always has a chunk, an end or a failure. */
        @Override
        public void demand(Runnable readable) {
            readable.run();
        }

        @Override
        public synchronized void fail(Throwable cause) {
            if (failure == null) {
                failure = cause;
            }
            body = null;
        }
    }

    /** The same for the timer: it takes the creating thread's loader when given none, so it is made on a thread that has none. */
    private static Scheduler timerWithoutContextLoader() {
        Thread current = Thread.currentThread();
        ClassLoader loader = current.getContextClassLoader();
        current.setContextClassLoader(null);
        try {
            return new ScheduledExecutorScheduler("apimodels-jetty-http-timer", true);
        } finally {
            current.setContextClassLoader(loader);
        }
    }

    /**
     * Jetty's pool gives its threads the loader of its own classes, here the application's. These
     * threads hand responses back to the server, and a thread the server starts from one of them inherits
     * its context class loader unless the server resets it (Tomcat does; a plain {@code new Thread} does
     * not), keeping the application's loader alive after it stopped; so they have none. The pool joins its threads when the client stops.
     */
    private static final class WithoutContextLoader extends QueuedThreadPool {
        @Override
        public Thread newThread(Runnable runnable) {
            Thread thread = super.newThread(runnable);
            thread.setContextClassLoader(null);
            return thread;
        }
    }
}
