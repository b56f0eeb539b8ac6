package app.apimodels.servlet;

import app.apimodels.spi.web.EventStream;
import app.apimodels.spi.web.Exchange;
import app.apimodels.spi.web.Response;
import jakarta.servlet.AsyncContext;
import jakarta.servlet.AsyncEvent;
import jakarta.servlet.AsyncListener;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

import java.io.IOException;
import java.io.InputStream;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * One request in asynchronous mode, answered by the engine from any thread.
 *
 * <p>Every use of the response, and the completion of the async context, happens while holding
 * this object's monitor and only while {@code finished} is false: once the async context is
 * complete the container recycles the response, so a late write from another thread must never
 * reach it. Request data is meant to be read before the exchange is answered.
 */
final class ServletExchange implements Exchange, AsyncListener {

    private static final System.Logger LOG = System.getLogger(ServletExchange.class.getName());
    private static final byte[] NO_BODY = new byte[0];
    private static final Response SERVER_ERROR = Response.text(500, "application/problem+json",
            "{\"type\":\"about:blank\",\"title\":\"Internal Server Error\",\"status\":500}");

    private final HttpServletRequest request;
    private final HttpServletResponse response;
    private final AsyncContext async;
    private final String method;
    private final String path;
    private final String remoteAddress;
    /** Null when the body was over the limit or is streamed. */
    private final byte[] body;
    private final boolean streamed;
    private volatile Map<String, String> queryParameters;

    // Guarded by this.
    private boolean answered;
    private boolean finished;
    private boolean clientGone;
    private Runnable onClientGone;

    private ServletExchange(HttpServletRequest request, HttpServletResponse response, AsyncContext async,
                            String path, byte[] body, boolean streamed) {
        this.request = request;
        this.response = response;
        this.async = async;
        this.method = request.getMethod().toUpperCase(Locale.ROOT);
        this.path = path;
        this.remoteAddress = request.getRemoteAddr();
        this.body = body;
        this.streamed = streamed;
    }

    /**
     * Puts the request into asynchronous mode and wraps it.
     *
     * @param body     the request body, or null if it was larger than the engine accepts or is streamed
     * @param streamed the engine reads the body itself through {@link #bodyStream()}
     */
    static ServletExchange start(HttpServletRequest request, HttpServletResponse response, String path, byte[] body,
                                 boolean streamed) {
        AsyncContext async = request.startAsync(request, response);
        async.setTimeout(0); // the engine enforces its own deadlines
        ServletExchange exchange = new ServletExchange(request, response, async, path, body, streamed);
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
            parameters = parseQuery(request.getQueryString());
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

    @Override
    public byte[] body() {
        return body == null ? NO_BODY : body;
    }

    @Override
    public boolean bodyTooLarge() {
        return body == null && !streamed;
    }

    @Override
    public InputStream bodyStream() {
        if (!streamed) {
            return Exchange.super.bodyStream();
        }
        try {
            return request.getInputStream();
        } catch (IOException e) {
            return InputStream.nullInputStream();
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
            if (answer.contentType() != null) {
                response.setContentType(answer.contentType());
            }
            response.setContentLength(answer.body().length);
            response.getOutputStream().write(answer.body());
            // Send now, from this thread: completing from a non-container thread makes the
            // container hand the final flush to one of its own threads, a needless extra hop.
            response.flushBuffer();
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
                    response.setContentType(contentType);
                    response.setContentLengthLong(length);
                    data.transferTo(response.getOutputStream());
                    response.flushBuffer();
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
        if (!finished) {
            response.setStatus(200);
            response.setContentType("text/event-stream; charset=utf-8");
            response.setHeader("Cache-Control", "no-cache");
            response.setHeader("X-Accel-Buffering", "no"); // tells nginx-style proxies not to hold events back
            try {
                response.flushBuffer(); // commits the headers so the client sees the stream has begun
            } catch (IOException e) {
                clientGone = true; // no action can be registered yet, so there is nothing to run
                finish();
            }
        }
        return new Stream();
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

    @Override
    public void onTimeout(AsyncEvent event) {
        clientGone(false);
    }

    @Override
    public void onError(AsyncEvent event) {
        clientGone(false);
    }

    @Override
    public void onStartAsync(AsyncEvent event) {
        // The exchange starts async mode once and never re-registers.
    }

    /** Caller holds the monitor. */
    private void finish() {
        if (finished) {
            return;
        }
        finished = true;
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
            LOG.log(System.Logger.Level.WARNING, "A client-gone action failed for " + method + " " + path, e);
        }
    }

    private static Map<String, String> parseQuery(String queryString) {
        Map<String, String> parameters = new HashMap<>();
        if (queryString == null) {
            return parameters;
        }
        for (String pair : queryString.split("&")) {
            int eq = pair.indexOf('=');
            String name = eq < 0 ? pair : pair.substring(0, eq);
            String value = eq < 0 ? "" : pair.substring(eq + 1);
            try {
                parameters.putIfAbsent(URLDecoder.decode(name, StandardCharsets.UTF_8),
                        URLDecoder.decode(value, StandardCharsets.UTF_8));
            } catch (IllegalArgumentException malformedEscape) {
                // Skip the pair, as servlet containers do with undecodable parameters.
            }
        }
        return parameters;
    }

    /** The exchange's response as an event stream; shares the exchange's monitor and state. */
    private final class Stream implements EventStream {

        @Override
        public boolean send(byte[] bytes) {
            synchronized (ServletExchange.this) {
                if (finished) {
                    return false;
                }
                try {
                    var out = response.getOutputStream();
                    out.write(bytes);
                    out.flush();
                    return true;
                } catch (IOException e) {
                    LOG.log(System.Logger.Level.DEBUG, "Client went away during the stream of {0} {1}", method, path);
                }
            }
            clientGone(false);
            return false;
        }

        @Override
        public void close() {
            synchronized (ServletExchange.this) {
                finish();
            }
        }

        @Override
        public void onClientGone(Runnable action) {
            synchronized (ServletExchange.this) {
                if (!clientGone) {
                    if (!finished) {
                        onClientGone = action;
                    }
                    return;
                }
            }
            run(action);
        }
    }
}
