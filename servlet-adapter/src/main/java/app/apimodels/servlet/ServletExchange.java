package app.apimodels.servlet;

import app.apimodels.core.deadlines.Deadlines;
import app.apimodels.spi.web.EventStream;
import app.apimodels.spi.web.Exchange;
import app.apimodels.spi.web.Exchange.Sender;
import app.apimodels.spi.web.QueryStrings;
import app.apimodels.spi.web.Response;
import jakarta.servlet.AsyncContext;
import jakarta.servlet.AsyncEvent;
import jakarta.servlet.AsyncListener;
import jakarta.servlet.ReadListener;
import jakarta.servlet.ServletContext;
import jakarta.servlet.ServletInputStream;
import jakarta.servlet.ServletOutputStream;
import jakarta.servlet.WriteListener;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.BooleanSupplier;

/**
 * One request in asynchronous mode, answered by the engine from any thread.
 *
 * <p>The body is read only when the engine asks ({@link #readBody}, after routing and
 * authentication), with Servlet non-blocking I/O: a client that sends slowly holds a connection and
 * what it has sent, never a thread. Bodies are bounded in size, in time and in how many are
 * received at once ({@link BodyReads}). Streamed bodies (file uploads) are received the same way
 * into a temporary file, which the engine then reads as the body stream. A response given while
 * the body is unread carries {@code Connection: close}, so the container drops the connection
 * instead of draining the rest of the body with a blocking read.
 *
 * <p>Every use of the response, and the completion of the async context, happens while holding
 * this object's monitor and only while {@code finished} is false: once the async context is
 * complete the container recycles the response, so a late write from another thread must never
 * reach it. Request data is meant to be read before the exchange is answered.
 *
 * <p>A client that leaves is reported by the container ({@link #onError}, a failed write) or, where
 * the container does not watch a waiting connection (Tomcat, Jetty), by the servlet's {@link ClientWatch}.
 *
 * <p>An answer is written but not flushed: its last bytes leave with {@code AsyncContext.complete()}.
 * A keep-alive client that has a whole answer sends its next request at once; had the answer been
 * flushed first, that request could arrive while the container is still ending this exchange, and
 * Grizzly (Payara) then appends it to this exchange's input, where it is lost: the client waits and
 * nothing is logged (about one call in forty right after a plain answer, on Payara Micro 6, with
 * the occasional 500 "startAsync called again" when the request wins the race the other way).
 */
final class ServletExchange implements Exchange, AsyncListener {

    private static final System.Logger LOG = System.getLogger(ServletExchange.class.getName());
    private static final byte[] NO_BODY = new byte[0];
    private static final Response SERVER_ERROR = problem(500, "Internal Server Error", null);
    private static final Response BODY_TIMEOUT = problem(408, "Request Timeout",
            "the request body was not received in time");
    private static final Response BODY_UNREADABLE = problem(400, "Bad Request", "the request body could not be read");
    private static final Response TOO_MANY_BODIES = new Response(503, "application/problem+json",
            problem(503, "Service Unavailable", "too many request bodies are being received; retry shortly").body(),
            Map.of("Retry-After", "5"));
    /**
     * When the container ends an exchange the engine has not answered yet (Tomcat does, after its
     * context's unloadDelay, when the application stops): the client is still there and must not
     * read an empty 200 as a success.
     */
    private static final Response ENDED_BY_CONTAINER = new Response(503, "application/problem+json",
            problem(503, "Service Unavailable", "the server is stopping; retry shortly").body(),
            Map.of("Retry-After", "5"));
    private static final int CHUNK = 16 * 1024;
    /**
     * A declared body over the limit but at most this long is read and dropped before the 413 (as
     * Tomcat's maxSwallowSize): closing a connection with the client's bytes still unread makes
     * the kernel reset it, and the reset can overtake the answer, so the client saw no 413 at all
     * (about one oversize call in twenty on Jetty over loopback). Longer ones are not read.
     */
    private static final long DRAINED = 2L * 1024 * 1024;
    /**
     * Most of an event stream kept for a client that does not read: a sender waiting for
     * {@link EventStream#whenSent} keeps one upstream piece at most; past this one ignores it, and
     * the client is taken for gone rather than let the heap grow.
     */
    private static final long MAX_UNSENT = 1024 * 1024;

    /** Where the request body is. */
    private enum BodyState { UNREAD, READING, READ, REFUSED }

    private final HttpServletRequest request;
    private final HttpServletResponse response;
    private final AsyncContext async;
    private final String method;
    private final String path;
    private final String remoteAddress;
    private final BodyReads reads;
    private final ClientWatch watch;
    private final boolean streamed;
    private volatile Map<String, String> queryParameters;

    // Guarded by this.
    private BodyState bodyState = BodyState.UNREAD;
    /** Whose body is being read: decides which slot it holds. Set once by {@link #readBody}. */
    private Sender sender = Sender.AUTHENTICATED;
    private byte[] body;
    private boolean bodyTooLarge;
    /** Streamed bodies: the temporary file they were received into, deleted when the exchange ends. */
    private Path spool;
    private InputStream spoolReader;
    /** The body being received, while {@code bodyState} is {@code READING}. */
    private BodyListener receiving;
    /** Of the buffered-body budget, what this body holds while it is received (authenticated buffered bodies only). */
    private long reservedBytes;
    private boolean answered;
    private boolean finished;
    private boolean clientGone;
    private Runnable onClientGone;
    /** Whether {@code watch} looks at this exchange's connection (from the first client-gone registration on). */
    private boolean watched;

    private ServletExchange(HttpServletRequest request, HttpServletResponse response, AsyncContext async,
                            String path, BodyReads reads, ClientWatch watch, boolean streamed) {
        this.request = request;
        this.response = response;
        this.async = async;
        this.method = request.getMethod().toUpperCase(Locale.ROOT);
        this.path = path;
        this.remoteAddress = request.getRemoteAddr();
        this.reads = reads;
        this.watch = watch;
        this.streamed = streamed;
    }

    /**
     * Puts the request into asynchronous mode and wraps it; nothing of the body is read yet.
     *
     * @param watch what looks whether the client is still there while the exchange waits for its
     *              answer, where the container does not report it
     * @param streamed the engine reads the body as a stream ({@link #bodyStream()}), with the larger size limit
     */
    static ServletExchange start(HttpServletRequest request, HttpServletResponse response, String path,
                                 BodyReads reads, ClientWatch watch, boolean streamed) {
        AsyncContext async = request.startAsync(request, response);
        async.setTimeout(0); // the engine, and the body deadline here, enforce their own deadlines
        ServletExchange exchange = new ServletExchange(request, response, async, path, reads, watch, streamed);
        async.addListener(exchange);
        return exchange;
    }

    @Override
    public String method() {
        return method;
    }

    @Override
    public String path() {
        return path;
    }

    /**
     * Parsed from the query string alone: {@code request.getParameter} would also read form bodies,
     * which the engine reads itself (or must not read at all, when too large).
     */
    @Override
    public String query(String name) {
        Map<String, String> parameters = queryParameters;
        if (parameters == null) {
            parameters = QueryStrings.parse(request.getQueryString());
            queryParameters = parameters;
        }
        return parameters.get(name);
    }

    @Override
    public String rawQuery() {
        return request.getQueryString();
    }

    @Override
    public String header(String name) {
        return request.getHeader(name);
    }

    @Override
    public Map<String, String> headers() {
        Map<String, String> headers = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
        for (String name : Collections.list(request.getHeaderNames())) {
            headers.putIfAbsent(name, request.getHeader(name));
        }
        return headers;
    }

    @Override
    public String baseUrl() {
        StringBuilder url = new StringBuilder(request.getScheme()).append("://").append(request.getServerName());
        int port = request.getServerPort();
        boolean defaultPort = port == ("https".equals(request.getScheme()) ? 443 : 80);
        if (!defaultPort) {
            url.append(':').append(port);
        }
        String uri = request.getRequestURI();
        return url.append(uri, 0, Math.max(0, uri.length() - path.length())).toString();
    }

    @Override
    public String remoteAddress() {
        return remoteAddress;
    }

    /**
     * Receives the body without holding a thread, then runs {@code next} on the container thread
     * that saw its end. A declared length over the limit is not read at all ({@link #bodyTooLarge()});
     * a chunked body stops being read at the limit. Past the deadline the client gets 408, over the
     * cap of bodies received at once 503, and a body that cannot be read 400, each with the
     * connection closed; {@code next} then never runs. The body of a public route ({@link Sender#PUBLIC})
     * has its own smaller limit, deadline and cap ({@link BodyReads}).
     */
    @Override
    public void readBody(Runnable next) {
        readBody(Sender.AUTHENTICATED, next);
    }

    @Override
    public void readBody(Sender from, Runnable next) {
        long limit = reads.limits().maxBytes(streamed, from);
        long declared = request.getContentLengthLong();
        synchronized (this) {
            if (bodyState != BodyState.UNREAD) {
                throw new IllegalStateException("the body is read once");
            }
            sender = from;
            // HTTP/1 without a length or chunked encoding has no body; HTTP/2 may send one without a length.
            boolean http1 = request.getProtocol() != null && request.getProtocol().startsWith("HTTP/1.");
            if (declared == 0 || declared < 0 && http1 && request.getHeader("Transfer-Encoding") == null) {
                bodyState = BodyState.READ;
                body = NO_BODY;
            } else if (declared > limit) {
                bodyTooLarge = true;
                // Drained (within the body's deadline and concurrent-read cap) when short enough,
                // else it stays UNREAD and the answer closes the connection.
                if (declared <= DRAINED && reads.tryAcquire(streamed, from)) {
                    bodyState = BodyState.READING;
                }
            } else if (!reads.tryAcquire(streamed, from)) {
                bodyState = BodyState.REFUSED;
            } else if (budgeted() && declared > 0 && !reads.tryReserve(declared)) {
                reads.release(streamed, from);
                bodyState = BodyState.REFUSED;
            } else {
                reservedBytes = budgeted() ? Math.max(declared, 0) : 0;
                bodyState = BodyState.READING;
            }
        }
        switch (bodyState()) {
            case REFUSED -> {
                reads.refused(BodyReads.Refusal.OVER_CAPACITY, remoteAddress);
                respond(TOO_MANY_BODIES);
            }
            case READING -> receive(from, next, limit, declared);
            default -> proceed(next);
        }
    }

    private synchronized BodyState bodyState() {
        return bodyState;
    }

    /** Caller holds the monitor: gives back the read's slot and what it reserved of the budget. */
    private void releaseRead() {
        reads.release(streamed, sender);
        reads.unreserve(reservedBytes);
        reservedBytes = 0;
    }

    /**
     * Caller holds the monitor. Whether this body counts against the buffered-body budget: it is
     * kept in memory and an authenticated caller sends it (public routes' bodies have slots of
     * their own, each small; uploads go to a file).
     */
    private boolean budgeted() {
        return !streamed && sender != Sender.PUBLIC && !bodyTooLarge;
    }

    /** Starts the non-blocking read; the caller holds a concurrent-read slot, released when reading ends. */
    private void receive(Sender from, Runnable next, long limit, long declared) {
        OutputStream sink = null;
        try {
            if (bodyTooLarge) {
                sink = OutputStream.nullOutputStream(); // drained: read to its end and dropped
            } else if (streamed) {
                Path file = Files.createTempFile(spoolDirectory(), "apimodels-upload-", ".part");
                synchronized (this) {
                    spool = file;
                }
                sink = Files.newOutputStream(file);
            } else {
                // Grows with what arrives: a slow client declaring a large body holds only what it sent.
                sink = new ByteArrayOutputStream((int) Math.min(Math.max(declared, 0), CHUNK));
            }
            BodyListener listener = new BodyListener(request.getInputStream(), sink, limit, declared, next);
            listener.deadline = reads.deadline(reads.limits().timeout(streamed, from), listener::expire);
            synchronized (this) {
                receiving = listener;
            }
            listener.in.setReadListener(listener);
        } catch (IOException | RuntimeException e) {
            LOG.log(System.Logger.Level.ERROR, "Could not start reading the body of " + method + " " + path, e);
            synchronized (this) {
                if (bodyState == BodyState.READING) {
                    bodyState = BodyState.REFUSED;
                    releaseRead();
                }
            }
            if (sink != null) {
                try {
                    sink.close();
                } catch (IOException ignored) {
                    // the file is deleted with the exchange
                }
            }
            abort();
        }
    }

    private Path spoolDirectory() {
        ServletContext context = request.getServletContext();
        Object dir = context == null ? null : context.getAttribute(ServletContext.TEMPDIR);
        return dir instanceof File file ? file.toPath() : Path.of(System.getProperty("java.io.tmpdir"));
    }

    /** Runs what the engine does with the body; a failure there answers 500 rather than the container's page. */
    private void proceed(Runnable next) {
        try {
            next.run();
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.ERROR, "The engine failed on " + method + " " + path, e);
            abort();
        }
    }

    @Override
    public synchronized byte[] body() {
        return body == null ? NO_BODY : body;
    }

    @Override
    public synchronized boolean bodyTooLarge() {
        return bodyTooLarge;
    }

    @Override
    public InputStream bodyStream() {
        if (!streamed) {
            return Exchange.super.bodyStream();
        }
        synchronized (this) {
            if (spool == null || spoolReader != null) {
                return InputStream.nullInputStream();
            }
            try {
                spoolReader = Files.newInputStream(spool);
                return spoolReader;
            } catch (IOException e) {
                LOG.log(System.Logger.Level.WARNING, "Could not reopen the received body of {0} {1}: {2}", method, path, e);
                return InputStream.nullInputStream();
            }
        }
    }

    /** Writes the response and completes the exchange; later answers are ignored. */
    @Override
    public synchronized void respond(Response answer) {
        if (answered) {
            LOG.log(System.Logger.Level.DEBUG, "Ignored a second answer to {0} {1}", method, path);
            return;
        }
        answered = true;
        if (finished) {
            return;
        }
        try {
            response.setStatus(answer.status());
            answer.headers().forEach(response::setHeader);
            closeIfBodyUnread();
            if (answer.contentType() != null) {
                response.setContentType(answer.contentType());
            }
            response.setContentLength(answer.body().length);
            response.getOutputStream().write(answer.body());
        } catch (IOException e) {
            LOG.log(System.Logger.Level.DEBUG, "Client went away before the response to {0} {1} was written", method, path);
        } finally {
            finish();
        }
    }

    @Override
    public void respond(int status, String contentType, Map<String, String> headers, InputStream data, long length) {
        try (data) {
            synchronized (this) {
                if (answered) {
                    return;
                }
                answered = true;
                if (finished) {
                    return;
                }
                try {
                    response.setStatus(status);
                    headers.forEach(response::setHeader);
                    closeIfBodyUnread();
                    response.setContentType(contentType);
                    response.setContentLengthLong(length);
                    data.transferTo(response.getOutputStream());
                } catch (IOException e) {
                    LOG.log(System.Logger.Level.DEBUG, "Client went away while {0} {1} was being sent", method, path);
                } finally {
                    finish();
                }
            }
        } catch (IOException e) {
            LOG.log(System.Logger.Level.DEBUG, "Could not close the body of {0} {1}", method, path);
        }
    }

    @Override
    public synchronized EventStream openEventStream() {
        if (answered) {
            throw new IllegalStateException("The exchange was already answered");
        }
        answered = true;
        Stream stream = new Stream();
        if (!finished) {
            response.setStatus(200);
            response.setContentType("text/event-stream; charset=utf-8");
            response.setHeader("Cache-Control", "no-cache");
            response.setHeader("X-Accel-Buffering", "no"); // tells nginx-style proxies not to hold events back
            closeIfBodyUnread();
            try {
                response.flushBuffer(); // commits the headers so the client sees the stream has begun
                // From now on non-blocking: no thread ever waits for this client to read.
                response.getOutputStream().setWriteListener(stream);
            } catch (IOException | IllegalStateException e) {
                clientGone = true; // no action can be registered yet, so there is nothing to run
                finish();
            }
        }
        return stream;
    }

    /**
     * Before the answer, the connection is also watched ({@link ClientWatch}): on Tomcat and Jetty
     * nothing else would notice a client that leaves while the engine waits on an upstream.
     */
    @Override
    public void onClientGone(Runnable action) {
        synchronized (this) {
            if (!clientGone) {
                if (!finished) {
                    onClientGone = action;
                    if (!answered && !watched) {
                        watched = watch.watch(this, request);
                    }
                }
                return;
            }
        }
        run(action);
    }

    /**
     * For the client watch: runs {@code probe} (whether the client closed the connection) if the
     * exchange still waits for its answer with an action registered. Holds the monitor throughout,
     * so the probe never overlaps the exchange's end, after which the container may already serve
     * the connection's next request.
     */
    synchronized boolean clientClosed(BooleanSupplier probe) {
        return !finished && !answered && onClientGone != null && probe.getAsBoolean();
    }

    /** The client watch saw the client leave and the container could not be told: end the exchange here. */
    void clientLeft() {
        clientGone(false);
    }

    /** Answers 500 if the engine has not answered, or ends an open stream. */
    synchronized void abort() {
        if (answered) {
            finish();
        } else {
            respond(SERVER_ERROR);
        }
    }

    /**
     * Follows every completion, ours included; it only changes anything when the container ended
     * the request itself, which it does when the client is gone.
     */
    @Override
    public void onComplete(AsyncEvent event) {
        clientGone(true);
    }

    /**
     * The container gave up waiting for the answer. Unanswered: the client gets a 503, then the
     * engine's client-gone action ends the call (its upstream cancelled); an open stream just ends.
     */
    @Override
    public void onTimeout(AsyncEvent event) {
        Runnable action = null;
        synchronized (this) {
            if (!answered && !finished) {
                action = onClientGone;
                onClientGone = null;
                clientGone = true;
                respond(ENDED_BY_CONTAINER);
            }
        }
        if (action != null) {
            run(action);
        } else {
            clientGone(false);
        }
    }

    @Override
    public void onError(AsyncEvent event) {
        clientGone(false);
    }

    @Override
    public void onStartAsync(AsyncEvent event) {
        // The exchange starts async mode once and never re-registers.
    }

    /**
     * Caller holds the monitor. A body not read in full would be drained by the container after the
     * answer, with a blocking read a slow client can stretch without end: close the connection instead.
     */
    private void closeIfBodyUnread() {
        if (bodyState != BodyState.READ) {
            response.setHeader("Connection", "close");
        }
    }

    /** Caller holds the monitor. */
    private void finish() {
        if (finished) {
            return;
        }
        finished = true;
        unwatch();
        stopReceiving();
        deleteSpool();
        try {
            async.complete();
        } catch (IllegalStateException e) {
            LOG.log(System.Logger.Level.DEBUG, "The container had already ended {0} {1}", method, path);
        }
    }

    /**
     * The client disconnected before a normal end: end the exchange (unless the container already
     * has) and run the registered action once.
     */
    private void clientGone(boolean containerEnded) {
        Runnable action;
        synchronized (this) {
            if (finished) {
                return;
            }
            clientGone = true;
            action = onClientGone;
            onClientGone = null;
            if (containerEnded) {
                finished = true;
                unwatch();
                stopReceiving();
                deleteSpool();
            } else {
                finish();
            }
        }
        if (action != null) {
            run(action); // outside the monitor: the action may well call back into the stream
        }
    }

    private void run(Runnable action) {
        try {
            action.run();
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "An action failed for " + method + " " + path, e);
        }
    }

    /** Caller holds the monitor: the exchange ended. */
    private void unwatch() {
        if (watched) {
            watch.forget(this);
            watched = false;
        }
    }

    /** Caller holds the monitor: the exchange ended (the client left) while its body was arriving. */
    private void stopReceiving() {
        if (bodyState == BodyState.READING && receiving != null) {
            receiving.end(BodyState.REFUSED);
        }
    }

    /** Caller holds the monitor. */
    private void deleteSpool() {
        if (spool == null) {
            return;
        }
        try {
            if (spoolReader != null) {
                spoolReader.close();
            }
            Files.deleteIfExists(spool);
        } catch (IOException e) {
            LOG.log(System.Logger.Level.WARNING, "Could not delete the received upload {0}: {1}", spool, e);
        }
        spool = null;
    }

    /**
     * Receives the body as the container reports bytes available. Every step holds the exchange's
     * monitor and acts only while the body is still {@code READING}, so the deadline (on the timer
     * thread), the container's callbacks and an answer can never both end the read.
     */
    private final class BodyListener implements ReadListener {

        private final ServletInputStream in;
        private final long limit;
        /**
         * These three are dropped when the read ends: the container keeps this listener until the
         * exchange ends, and a held-open stream must hold neither 16 KiB it will never read into
         * again, nor a copy of the body (in {@code sink}), nor what the engine did with it.
         */
        private OutputStream sink;
        private Runnable next;
        private byte[] chunk;
        private long received;
        private volatile Deadlines.Deadline deadline;

        BodyListener(ServletInputStream in, OutputStream sink, long limit, long declared, Runnable next) {
            this.in = in;
            this.sink = sink;
            this.limit = limit;
            this.next = next;
            // A declared length sizes the read buffer: a chat call's body of a few hundred bytes
            // then costs no 16 KiB array, which at hundreds of calls a second was a sixth of the
            // gateway's allocation while it relayed thousands of streams.
            this.chunk = new byte[declared > 0 ? (int) Math.min(declared, CHUNK) : CHUNK];
        }

        @Override
        public void onDataAvailable() throws IOException {
            boolean overLimit = false;
            boolean overBudget = false;
            boolean sinkFailed = false;
            boolean ended = false;
            Runnable then;
            synchronized (ServletExchange.this) {
                if (bodyState != BodyState.READING) {
                    return;
                }
                then = next;
                // A read failure (a bad chunk, a reset) propagates: the container then calls onError.
                // Not guarded by isFinished(): Grizzly (Payara) reports finished once the last byte has
                // arrived, before it was read, and then never calls onAllDataRead; and the end of the
                // stream completes the read here, since a container need not call onAllDataRead after
                // a read that already saw it (onAllDataRead is then a no-op).
                while (in.isReady()) {
                    int n = in.read(chunk);
                    if (n < 0) {
                        ended = true;
                        break;
                    }
                    if (received + n > limit && !bodyTooLarge) {
                        end(BodyState.UNREAD); // stays unread: the answer closes the connection
                        bodyTooLarge = true;
                        overLimit = true;
                        break;
                    }
                    // A chunked body reserves as it grows (a declared length was reserved in full).
                    if (budgeted() && received + n > reservedBytes) {
                        if (!reads.tryReserve(received + n - reservedBytes)) {
                            end(BodyState.REFUSED);
                            overBudget = true;
                            break;
                        }
                        reservedBytes = received + n;
                    }
                    try {
                        sink.write(chunk, 0, n);
                    } catch (IOException e) {
                        LOG.log(System.Logger.Level.ERROR, "Could not keep the body of " + method + " " + path, e);
                        end(BodyState.REFUSED);
                        sinkFailed = true;
                        break;
                    }
                    received += n;
                }
            }
            if (overLimit) {
                proceed(then); // the engine answers 413
            } else if (overBudget) {
                reads.refused(BodyReads.Refusal.OVER_CAPACITY, remoteAddress);
                respond(TOO_MANY_BODIES);
            } else if (sinkFailed) {
                abort();
            } else if (ended) {
                onAllDataRead();
            }
        }

        @Override
        public void onAllDataRead() throws IOException {
            Runnable then;
            synchronized (ServletExchange.this) {
                if (bodyState != BodyState.READING) {
                    return;
                }
                then = next;
                if (sink instanceof ByteArrayOutputStream bytes) {
                    body = bytes.toByteArray();
                }
                end(BodyState.READ);
            }
            proceed(then);
        }

        /** The client left or sent something the container could not decode (a bad chunk). */
        @Override
        public void onError(Throwable failure) {
            synchronized (ServletExchange.this) {
                if (bodyState != BodyState.READING) {
                    return;
                }
                end(BodyState.REFUSED);
            }
            LOG.log(System.Logger.Level.DEBUG, "Could not read the body of {0} {1} from {2}: {3}",
                    method, path, remoteAddress, failure.toString());
            respond(BODY_UNREADABLE);
        }

        /** On the timer thread: the whole body did not arrive in time. */
        void expire() {
            synchronized (ServletExchange.this) {
                if (bodyState != BodyState.READING) {
                    return;
                }
                end(BodyState.REFUSED);
            }
            reads.refused(BodyReads.Refusal.TIMED_OUT, remoteAddress);
            respond(BODY_TIMEOUT);
        }

        /** Caller holds the monitor: the read is over, one way or another. */
        private void end(BodyState state) {
            bodyState = state;
            receiving = null;
            chunk = null;
            releaseRead();
            if (deadline != null) {
                deadline.cancel();
            }
            try {
                sink.close();
            } catch (IOException e) {
                LOG.log(System.Logger.Level.WARNING, "Could not finish writing the received body of {0} {1}: {2}",
                        method, path, e);
            }
            sink = null;
            next = null;
        }
    }

    private static Response problem(int status, String title, String detail) {
        return Response.text(status, "application/problem+json", "{\"type\":\"about:blank\",\"title\":\"" + title
                + "\",\"status\":" + status + (detail == null ? "" : ",\"detail\":\"" + detail + "\"") + "}");
    }

    /**
     * The exchange's response as an event stream; shares the exchange's monitor and state. Written
     * with Servlet non-blocking I/O: {@link #send} hands the container what it can take now and
     * keeps the rest, which {@link #onWritePossible} writes once the client has read enough;
     * {@link #whenSent} callers are told then. A sender that waits for it (the engine does, and so
     * asks its upstream for more only then) holds no thread while a client reads slowly, so one
     * slow client never stalls the upstream connection its stream shares with others.
     */
    private final class Stream implements EventStream, WriteListener {

        /** What was sent but not yet handed to the container; null while there is none. */
        private ArrayDeque<byte[]> unsent;
        private long unsentBytes;
        /** Bytes were handed to the container since its last flush. */
        private boolean unflushed;
        /** Everything sent so far has been written (the container said it is ready for more). */
        private boolean written = true;
        /** Who waits for {@code written} ({@link #whenSent}); null while nobody does. */
        private List<Runnable> waiting;
        /** Closed by the engine while bytes were still unwritten: the exchange ends once they are. */
        private boolean closing;

        @Override
        public boolean send(byte[] bytes) {
            synchronized (ServletExchange.this) {
                if (finished || closing) {
                    return false;
                }
                if (unsentBytes + bytes.length <= MAX_UNSENT) {
                    try {
                        write(bytes);
                        return true;
                    } catch (IOException e) {
                        LOG.log(System.Logger.Level.DEBUG, "Client went away during the stream of {0} {1}", method, path);
                    }
                } else {
                    // Only a sender that ignores whenSent gets here: the client takes nothing.
                    LOG.log(System.Logger.Level.DEBUG, "The client of {0} {1} does not read its stream", method, path);
                }
            }
            clientGone(false);
            return false;
        }

        /**
         * Caller holds the monitor. Hands the container what it can take without blocking, what
         * waits first and then {@code fresh} (if not null), then flushes; says in {@code written}
         * whether all of it is out. When the container could not take everything its {@code isReady()}
         * answered false, and it calls {@link #onWritePossible} once it can take more; what it did not
         * take waits in {@code unsent}, which a client that keeps up never needs.
         */
        private void write(byte[] fresh) throws IOException {
            ServletOutputStream out = response.getOutputStream();
            written = false;
            while (out.isReady()) {
                byte[] next = unsent == null ? null : unsent.poll();
                if (next != null) {
                    unsentBytes -= next.length;
                } else {
                    next = fresh;
                    fresh = null;
                }
                if (next != null) {
                    out.write(next);
                    unflushed = true;
                } else if (unflushed) {
                    unflushed = false;
                    out.flush();
                } else {
                    unsent = null;
                    written = true;
                    return;
                }
            }
            if (fresh != null) {
                if (unsent == null) {
                    unsent = new ArrayDeque<>();
                }
                unsent.add(fresh);
                unsentBytes += fresh.length;
            }
        }

        @Override
        public void whenSent(Runnable next) {
            synchronized (ServletExchange.this) {
                if (finished) {
                    return; // the client is gone (or the stream closed): nothing waits for more
                }
                if (!written) {
                    if (waiting == null) {
                        waiting = new ArrayList<>(1);
                    }
                    waiting.add(next);
                    return;
                }
            }
            next.run();
        }

        /** On a container thread: the client read enough for the container to take more. */
        @Override
        public void onWritePossible() {
            List<Runnable> ready = null;
            boolean failed = false;
            synchronized (ServletExchange.this) {
                if (finished) {
                    return;
                }
                try {
                    write(null);
                    if (written) {
                        if (closing) {
                            finish();
                        }
                        ready = waiting;
                        waiting = null;
                    }
                } catch (IOException e) {
                    LOG.log(System.Logger.Level.DEBUG, "Client went away during the stream of {0} {1}", method, path);
                    failed = true;
                }
            }
            if (failed) {
                clientGone(false); // outside the monitor, where the client-gone action runs
            } else if (ready != null) {
                ready.forEach(ServletExchange.this::run); // outside the monitor: they ask the upstream for more
            }
        }

        /** The container could not write (the client left, or stopped reading past its write timeout). */
        @Override
        public void onError(Throwable failure) {
            clientGone(false);
        }

        @Override
        public void close() {
            synchronized (ServletExchange.this) {
                if (written) {
                    finish();
                } else {
                    closing = true; // onWritePossible ends the exchange once the rest is written
                }
            }
        }

        @Override
        public void onClientGone(Runnable action) {
            ServletExchange.this.onClientGone(action);
        }
    }
}
