package app.apimodels.testkit.web;

import app.apimodels.spi.web.EventStream;
import app.apimodels.spi.web.Exchange;
import app.apimodels.spi.web.QueryStrings;
import app.apimodels.spi.web.Response;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * An {@link Exchange} held in memory, for driving an engine (or any handler of exchanges) without a
 * server, in the spirit of pac4j's {@code MockWebContext}. Build the request, hand the exchange over,
 * then wait for the answer: the engine may answer later, on another thread.
 *
 * <pre>{@code
 * MockExchange ex = MockExchange.post("/v1/chat/completions")
 *         .header("Authorization", "Bearer " + key)
 *         .json("{\"model\":\"m\",\"messages\":[]}")
 *         .build();
 * engine.handle(ex);
 * MockExchange.Answer answer = ex.awaitAnswer(Duration.ofSeconds(10));
 * }</pre>
 *
 * <p>What it records: the one answer (a {@link Response}, a streamed file, or an event stream,
 * complete once closed); every event sent, as it is sent; and a second answer, which is ignored as
 * the contract says. A test plays a client that leaves with {@link #leave()}: the stream's
 * {@link EventStream#onClientGone} action runs and later sends return false. The body is held
 * whole, so {@link #readBody} runs its continuation at once (the interface's default).
 */
public final class MockExchange implements Exchange {

    /** How the exchange was answered. */
    public enum Kind { RESPONSE, FILE, EVENTS }

    /**
     * What the client received.
     *
     * @param headers the response headers, looked up case-insensitively ({@code Content-Length} is
     *                among them for a file, as a server would send it)
     * @param body    the whole body; for an event stream every event sent, in order (comments included)
     */
    public record Answer(Kind kind, int status, String contentType, Map<String, String> headers, byte[] body) {
        public Answer {
            TreeMap<String, String> h = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
            h.putAll(headers);
            headers = Collections.unmodifiableMap(h);
        }

        public String bodyText() {
            return new String(body, StandardCharsets.UTF_8);
        }

        /** A response header (case-insensitive name), or null. */
        public String header(String name) {
            return headers.get(name);
        }

        @Override
        public String toString() {
            return kind + " " + status + " " + contentType + " " + headers + " "
                    + (body.length > 2000 ? body.length + " bytes" : bodyText());
        }
    }

    private final String method;
    private final String path;
    private final String rawQuery;
    private final Map<String, String> query;
    private final Map<String, String> headers;
    private final byte[] body;
    private final boolean bodyTooLarge;
    private final String baseUrl;
    private final String remoteAddress;

    // Guarded by this.
    private Answer answer;
    private boolean answered;
    private boolean streamOpen;
    private boolean clientGone;
    private int ignoredAnswers;
    private Runnable onClientGone;
    private final List<byte[]> events = new ArrayList<>();
    private final ByteArrayOutputStream streamed = new ByteArrayOutputStream();

    private MockExchange(Builder b) {
        this.method = b.method.toUpperCase(Locale.ROOT);
        this.path = b.path;
        this.rawQuery = b.rawQuery;
        this.query = QueryStrings.parse(b.rawQuery);
        TreeMap<String, String> h = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
        h.putAll(b.headers);
        this.headers = Collections.unmodifiableMap(h);
        this.body = b.body;
        this.bodyTooLarge = b.maxBodyBytes >= 0 && b.body.length > b.maxBodyBytes;
        this.baseUrl = b.baseUrl;
        this.remoteAddress = b.remoteAddress;
    }

    public static Builder builder(String method, String pathAndQuery) {
        return new Builder(method, pathAndQuery);
    }

    public static Builder get(String pathAndQuery) {
        return builder("GET", pathAndQuery);
    }

    public static Builder post(String pathAndQuery) {
        return builder("POST", pathAndQuery);
    }

    public static Builder put(String pathAndQuery) {
        return builder("PUT", pathAndQuery);
    }

    public static Builder delete(String pathAndQuery) {
        return builder("DELETE", pathAndQuery);
    }

    /** Builds the request side. Headers keep the first value given for a name (case-insensitive). */
    public static final class Builder {
        private String method;
        private String path;
        private String rawQuery;
        private final Map<String, String> headers = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
        private byte[] body = new byte[0];
        private long maxBodyBytes = -1;
        private String baseUrl = "http://localhost";
        private String remoteAddress = "127.0.0.1";

        private Builder(String method, String pathAndQuery) {
            this.method = method;
            path(pathAndQuery);
        }

        public Builder method(String method) {
            this.method = method;
            return this;
        }

        /** The path below the mount point; a {@code ?query} part sets the query as sent (not decoded). */
        public Builder path(String pathAndQuery) {
            int q = pathAndQuery.indexOf('?');
            this.path = q < 0 ? pathAndQuery : pathAndQuery.substring(0, q);
            if (q >= 0) {
                this.rawQuery = pathAndQuery.substring(q + 1);
            }
            if (!path.startsWith("/")) {
                throw new IllegalArgumentException("the path starts with /: " + pathAndQuery);
            }
            return this;
        }

        /** The query string as sent (percent-encoded, {@code +} for spaces); null for none. */
        public Builder query(String rawQuery) {
            this.rawQuery = rawQuery;
            return this;
        }

        public Builder header(String name, String value) {
            headers.putIfAbsent(name, value);
            return this;
        }

        /** {@code Authorization: Bearer <secret>}. */
        public Builder bearer(String secret) {
            return header("Authorization", "Bearer " + secret);
        }

        public Builder body(byte[] body) {
            this.body = body.clone();
            return this;
        }

        /** The body and its {@code Content-Type}. */
        public Builder body(String contentType, byte[] body) {
            header("Content-Type", contentType);
            return body(body);
        }

        /** A JSON body, {@code Content-Type: application/json}. */
        public Builder json(String json) {
            return body("application/json", json.getBytes(StandardCharsets.UTF_8));
        }

        /**
         * The adapter's body limit: a longer body is reported as {@link Exchange#bodyTooLarge()} and
         * not handed over, as an adapter does (default: no limit).
         */
        public Builder maxBodyBytes(long limit) {
            this.maxBodyBytes = limit;
            return this;
        }

        /** Where the API is mounted as the client reached it, without a trailing slash. */
        public Builder baseUrl(String baseUrl) {
            this.baseUrl = baseUrl.endsWith("/") ? baseUrl.substring(0, baseUrl.length() - 1) : baseUrl;
            return this;
        }

        public Builder remoteAddress(String remoteAddress) {
            this.remoteAddress = remoteAddress;
            return this;
        }

        public MockExchange build() {
            return new MockExchange(this);
        }
    }

    // ---- the request, as the engine reads it ----

    @Override
    public String method() {
        return method;
    }

    @Override
    public String path() {
        return path;
    }

    @Override
    public String query(String name) {
        return query.get(name);
    }

    @Override
    public String rawQuery() {
        return rawQuery;
    }

    @Override
    public String header(String name) {
        return headers.get(name);
    }

    @Override
    public Map<String, String> headers() {
        return headers;
    }

    @Override
    public String baseUrl() {
        return baseUrl;
    }

    @Override
    public String remoteAddress() {
        return remoteAddress;
    }

    @Override
    public byte[] body() {
        return bodyTooLarge ? new byte[0] : body.clone();
    }

    @Override
    public boolean bodyTooLarge() {
        return bodyTooLarge;
    }

    // ---- the answer ----

    @Override
    public void respond(Response response) {
        synchronized (this) {
            if (answered) {
                ignoredAnswers++;
                return;
            }
            answered = true;
            complete(new Answer(Kind.RESPONSE, response.status(), response.contentType(), response.headers(),
                    response.body().clone()));
        }
    }

    /** Copies the stream whole (a server would send it as it reads), then closes it. */
    @Override
    public void respond(int status, String contentType, Map<String, String> headers, InputStream body, long length) {
        try (body) {
            synchronized (this) {
                if (answered) {
                    ignoredAnswers++;
                    return;
                }
                answered = true;
            }
            byte[] bytes = body.readAllBytes();
            Map<String, String> h = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
            h.putAll(headers);
            h.put("Content-Length", String.valueOf(length));
            synchronized (this) {
                complete(new Answer(Kind.FILE, status, contentType, h, bytes));
            }
        } catch (IOException e) {
            throw new UncheckedIOException("the streamed body could not be read", e);
        }
    }

    @Override
    public synchronized EventStream openEventStream() {
        if (answered) {
            throw new IllegalStateException("The exchange was already answered");
        }
        answered = true;
        streamOpen = true;
        notifyAll();
        return new Stream();
    }

    /** Caller holds the monitor. */
    private void complete(Answer a) {
        answer = a;
        notifyAll();
    }

    private final class Stream implements EventStream {
        @Override
        public boolean send(byte[] bytes) {
            synchronized (MockExchange.this) {
                if (!streamOpen || clientGone) {
                    return false;
                }
                events.add(bytes.clone());
                streamed.writeBytes(bytes);
                MockExchange.this.notifyAll();
                return true;
            }
        }

        @Override
        public void close() {
            synchronized (MockExchange.this) {
                if (streamOpen) {
                    streamOpen = false;
                    complete(eventAnswer());
                }
            }
        }

        @Override
        public void onClientGone(Runnable action) {
            synchronized (MockExchange.this) {
                if (!clientGone) {
                    if (streamOpen) {
                        onClientGone = action;
                    }
                    return;
                }
            }
            action.run();
        }
    }

    /** Registers the action for a client that leaves before any answer (a call waiting on its upstream). */
    @Override
    public void onClientGone(Runnable action) {
        synchronized (this) {
            if (!clientGone) {
                if (answer == null) {
                    onClientGone = action;
                }
                return;
            }
        }
        action.run();
    }

    /** Caller holds the monitor. */
    private Answer eventAnswer() {
        return new Answer(Kind.EVENTS, 200, "text/event-stream; charset=utf-8",
                Map.of("Cache-Control", "no-cache"), streamed.toByteArray());
    }

    // ---- what a test does and asks ----

    /**
     * Plays a client that disconnects: an open event stream ends (what was sent so far becomes the
     * answer), the registered {@code onClientGone} action (the stream's or the exchange's) runs once,
     * here, and later sends return false. Does nothing after a normal end.
     */
    public void leave() {
        Runnable action;
        synchronized (this) {
            if (clientGone || answer != null) {
                return;
            }
            clientGone = true;
            action = onClientGone;
            onClientGone = null;
            if (streamOpen) {
                streamOpen = false;
                complete(eventAnswer());
            }
        }
        if (action != null) {
            action.run();
        }
    }

    /** Waits until the exchange is answered completely (an event stream: closed, or the client left). */
    public Answer awaitAnswer(Duration timeout) {
        return awaitState(timeout, "an answer to " + this, () -> answer);
    }

    /**
     * Waits until the events sent so far satisfy {@code condition} (e.g. at least one data event)
     * and returns them, each as sent.
     */
    public List<String> awaitEvents(Duration timeout, Predicate<List<String>> condition) {
        return awaitState(timeout, "events on " + this, () -> {
            List<String> sent = eventTexts();
            return condition.test(sent) ? sent : null;
        });
    }

    /** The events sent so far (comments included), as UTF-8 text, in order. */
    public synchronized List<String> events() {
        return eventTexts();
    }

    /** The complete answer if there is one yet, else null. */
    public synchronized Answer answer() {
        return answer;
    }

    /**
     * What the client has received so far: the complete answer, or while an event stream is open
     * its head and the events sent until now; null before any answer.
     */
    public synchronized Answer received() {
        return answer != null ? answer : streamOpen ? eventAnswer() : null;
    }

    /** Whether the engine answered (or began an event stream). */
    public synchronized boolean answered() {
        return answered;
    }

    /** How many answers came after the first (and were ignored). */
    public synchronized int ignoredAnswers() {
        return ignoredAnswers;
    }

    private List<String> eventTexts() {
        return events.stream().map(b -> new String(b, StandardCharsets.UTF_8)).toList();
    }

    private interface State<T> {
        T now();
    }

    private synchronized <T> T awaitState(Duration timeout, String what, State<T> state) {
        long deadline = System.nanoTime() + timeout.toNanos();
        T value;
        while ((value = state.now()) == null) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                throw new AssertionError("no " + what + " within " + timeout
                        + (answer == null ? "" : "; answer so far: " + answer) + "; events so far: " + eventTexts());
            }
            try {
                TimeUnit.NANOSECONDS.timedWait(this, left);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted while waiting for " + what, e);
            }
        }
        return value;
    }

    @Override
    public String toString() {
        return method + " " + path + (rawQuery == null ? "" : "?" + rawQuery);
    }
}
