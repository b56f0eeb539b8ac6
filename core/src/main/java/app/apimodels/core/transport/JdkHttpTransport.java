package app.apimodels.core.transport;

import app.apimodels.core.threads.Threads;
import app.apimodels.spi.http.Cancellable;
import app.apimodels.spi.http.HttpBodyHandler;
import app.apimodels.spi.http.HttpRequestSpec;
import app.apimodels.spi.http.HttpResponseData;
import app.apimodels.spi.http.HttpTransport;
import app.apimodels.spi.http.TransportException;
import app.apimodels.spi.http.TransportOptions;

import java.io.EOFException;
import java.io.IOException;
import java.net.ConnectException;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpHeaders;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Flow;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * {@link HttpTransport} on the JDK's {@link HttpClient}: no dependency, the default. One client
 * per transport so connections are pooled and reused across calls.
 */
public final class JdkHttpTransport implements HttpTransport {

    /**
     * Headers the JDK client sets itself and refuses from callers ({@code IllegalArgumentException});
     * a caller passing them along (e.g. copied from an incoming request) must not break the call.
     */
    private static final Set<String> MANAGED_HEADERS =
            Set.of("host", "content-length", "connection", "expect", "upgrade", "transfer-encoding");

    private final HttpClient client;
    private final ExecutorService executor;
    private final Threads.Daemons threads = new Threads.Daemons("apimodels-jdk-http");
    /** Deadlines of all exchanges: one thread, as the tasks only fail an exchange and return. */
    private final ScheduledThreadPoolExecutor timer;

    public JdkHttpTransport(TransportOptions options) {
        executor = Executors.newCachedThreadPool(threads);
        timer = new ScheduledThreadPoolExecutor(1, threads);
        // Deadlines are usually cancelled long before they fire; don't keep them queued.
        timer.setRemoveOnCancelPolicy(true);
        client = withoutContextLoader(() -> HttpClient.newBuilder()
                // With HTTP/2 every new plain-http connection would start with an h2c upgrade
                // request, which many self-hosted upstreams (uvicorn/vLLM, Ollama, proxies) handle
                // badly or slowly. HTTP/1.1 everywhere also behaves the same for http and https
                // upstreams, and the same as the Jetty transport.
                .version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(options.connectTimeout())
                // Never follow an upstream's redirect: the upstream URL is configured, and a
                // redirect could point our credentials at another host.
                .followRedirects(HttpClient.Redirect.NEVER)
                // Our own pool so close() can stop its threads (JDK 17's client has no close()).
                // options.maxConnectionsPerHost() has no JDK equivalent: the client opens as many
                // connections as there are concurrent exchanges and keeps the idle ones.
                .executor(executor)
                .build());
    }

    /**
     * Builds the client with no context class loader. Its selector thread inherits the creating
     * thread's loader and, on Java 17, outlives {@link #close()} until the client is garbage
     * collected: inside a web application it would otherwise pin the application's class loader
     * (and the container reports it as a thread the application failed to stop).
     */
    private static HttpClient withoutContextLoader(java.util.function.Supplier<HttpClient> build) {
        Thread current = Thread.currentThread();
        ClassLoader loader = current.getContextClassLoader();
        current.setContextClassLoader(null);
        try {
            return build.get();
        } finally {
            current.setContextClassLoader(loader);
        }
    }

    @Override
    public CompletableFuture<HttpResponseData> send(HttpRequestSpec spec) {
        CompletableFuture<HttpResponseData> result = new CompletableFuture<>();
        CompletableFuture<HttpResponse<byte[]>> exchange;
        try {
            exchange = client.sendAsync(request(spec), HttpResponse.BodyHandlers.ofByteArray());
        } catch (RuntimeException e) {
            result.completeExceptionally(new TransportException(TransportException.Kind.OTHER, e.getMessage(), e));
            return result;
        }
        // The client's own request timeout stops at the response head; the spec limits the whole
        // exchange, so a body that trickles in past the limit fails too.
        ScheduledFuture<?> deadline = timer.schedule(() -> {
            if (result.completeExceptionally(new TransportException(TransportException.Kind.TIMEOUT,
                    "no complete response within " + spec.timeout(), null))) {
                exchange.cancel(true);
            }
        }, spec.timeout().toNanos(), TimeUnit.NANOSECONDS);
        exchange.whenComplete((response, error) -> {
            deadline.cancel(false);
            if (error != null) {
                result.completeExceptionally(map(error));
            } else {
                result.complete(new HttpResponseData(response.statusCode(), headers(response.headers()), response.body()));
            }
        });
        // A caller giving up (cancelling our future) aborts the exchange.
        result.whenComplete((response, error) -> {
            if (result.isCancelled()) {
                exchange.cancel(true);
            }
        });
        return result;
    }

    @Override
    public Cancellable stream(HttpRequestSpec spec, HttpBodyHandler handler) {
        StreamExchange stream = new StreamExchange(spec, handler);
        stream.start();
        return stream::cancel;
    }

    @Override
    public void close() {
        // Not interrupted: the client's threads run callers' continuations, which may be in the database.
        // Waited for: inside a server they must be gone before the application's class loader is
        // discarded, or they keep it (and the container reports a leak).
        Threads.stop(timer, executor);
        threads.awaitEnd();
    }

    private static HttpRequest request(HttpRequestSpec spec) {
        HttpRequest.Builder builder = HttpRequest.newBuilder(spec.uri());
        spec.headers().forEach((name, value) -> {
            if (!MANAGED_HEADERS.contains(name.toLowerCase(Locale.ROOT))) {
                builder.header(name, value);
            }
        });
        HttpRequest.BodyPublisher body = spec.body().length == 0
                ? HttpRequest.BodyPublishers.noBody()
                : HttpRequest.BodyPublishers.ofByteArray(spec.body());
        return builder.method(spec.method(), body).build();
    }

    private static Map<String, String> headers(HttpHeaders headers) {
        Map<String, String> first = new HashMap<>();
        headers.map().forEach((name, values) -> {
            if (!values.isEmpty() && !name.startsWith(":")) {
                first.putIfAbsent(name.toLowerCase(Locale.ROOT), values.get(0));
            }
        });
        return first;
    }

    /** Classifies what the JDK client failed with. */
    private static TransportException map(Throwable error) {
        Throwable e = error;
        while ((e instanceof CompletionException || e instanceof ExecutionException) && e.getCause() != null) {
            e = e.getCause();
        }
        if (e instanceof TransportException transportException) {
            return transportException;
        }
        TransportException.Kind kind;
        if (e instanceof HttpConnectTimeoutException || e instanceof ConnectException) {
            kind = TransportException.Kind.CONNECT;
        } else if (e instanceof HttpTimeoutException) {
            kind = TransportException.Kind.TIMEOUT;
        } else if (e instanceof IOException && isBrokenConnection(e)) {
            kind = TransportException.Kind.RESET;
        } else {
            kind = TransportException.Kind.OTHER;
        }
        return new TransportException(kind, String.valueOf(e.getMessage()), e);
    }

    /** The JDK reports a dropped connection only through exception types and messages. */
    private static boolean isBrokenConnection(Throwable error) {
        for (Throwable t = error; t != null; t = t.getCause()) {
            if (t instanceof EOFException || t instanceof ClosedChannelException) {
                return true;
            }
            String message = String.valueOf(t.getMessage()).toLowerCase(Locale.ROOT);
            if (message.contains("reset") || message.contains("closed") || message.contains("broken pipe")) {
                return true;
            }
        }
        return false;
    }

    /**
     * One streamed exchange. The JDK delivers head, pieces and the end in order, but deadlines
     * fire on the timer thread and {@link #cancel()} comes from anywhere, so every call into the
     * handler holds this object's lock and checks {@code finished}: the handler sees one call at
     * a time and nothing after the end or after {@code cancel()} returns. Calls back into the JDK
     * client ({@link #release}) happen outside the lock so they cannot deadlock with its threads.
     */
    private final class StreamExchange implements HttpResponse.BodyHandler<Void>, HttpResponse.BodySubscriber<Void> {
        private final HttpRequestSpec spec;
        private final HttpBodyHandler handler;
        private final long startedAt = System.nanoTime();
        private final CompletableFuture<Void> body = new CompletableFuture<>();
        private volatile long lastActivity;
        private volatile CompletableFuture<HttpResponse<Void>> exchange;
        private volatile Flow.Subscription subscription;
        private volatile ScheduledFuture<?> deadline;
        private boolean headReceived;
        /**
         * Written under the lock; read without it where waiting would be wrong: by the thread
         * that starts the exchange, which a handler may wait on from inside a callback.
         */
        private volatile boolean finished;
        /** Ended by cancel or failure, so the exchange must be stopped; same locking as above. */
        private volatile boolean aborted;

        StreamExchange(HttpRequestSpec spec, HttpBodyHandler handler) {
            this.spec = spec;
            this.handler = handler;
        }

        void start() {
            scheduleDeadline(spec.timeout().toNanos());
            CompletableFuture<HttpResponse<Void>> sent;
            try {
                sent = client.sendAsync(request(spec), this);
            } catch (RuntimeException e) {
                fail(new TransportException(TransportException.Kind.OTHER, e.getMessage(), e));
                return;
            }
            exchange = sent;
            // Failures before the body (connect, head) surface here, later ones in onError too.
            sent.whenComplete((response, error) -> {
                if (error != null) {
                    fail(map(error));
                }
            });
            if (aborted) {
                release(true); // cancelled or failed (e.g. from a callback) before the exchange was known
            }
        }

        /** Replaces the pending deadline check, so there is never more than one. */
        private synchronized void scheduleDeadline(long nanos) {
            if (!finished) {
                if (deadline != null) {
                    deadline.cancel(false);
                }
                deadline = timer.schedule(this::checkDeadline, nanos, TimeUnit.NANOSECONDS);
            }
        }

        /**
         * Fails the exchange without a head within the timeout, or with a body silent for longer
         * than the idle timeout; otherwise looks again when that could next pass. Re-checking a
         * timestamp costs each piece one volatile write instead of a reschedule.
         */
        private void checkDeadline() {
            boolean head = headReceived();
            long left = head
                    ? lastActivity + spec.idleTimeout().toNanos() - System.nanoTime()
                    : startedAt + spec.timeout().toNanos() - System.nanoTime();
            if (left > 0) {
                scheduleDeadline(left);
            } else {
                fail(new TransportException(TransportException.Kind.TIMEOUT,
                        head ? "no data for " + spec.idleTimeout() : "no response within " + spec.timeout(), null));
            }
        }

        @Override
        public HttpResponse.BodySubscriber<Void> apply(HttpResponse.ResponseInfo info) {
            lastActivity = System.nanoTime();
            synchronized (this) {
                headReceived = true;
                if (!finished) {
                    handler.onHead(info.statusCode(), headers(info.headers()));
                }
            }
            // From now on the idle timeout applies, which may be shorter than what is pending.
            scheduleDeadline(spec.idleTimeout().toNanos());
            return this;
        }

        @Override
        public void onSubscribe(Flow.Subscription subscription) {
            this.subscription = subscription;
            if (finished) {
                subscription.cancel();
            } else {
                subscription.request(1);
            }
        }

        @Override
        public void onNext(List<ByteBuffer> pieces) {
            lastActivity = System.nanoTime();
            deliver(pieces, 0);
        }

        /**
         * Hands the pieces on one at a time, each once the handler has passed the last one on (for
         * a slow client, later and from another thread), then asks for the next list: the socket
         * is read no further meanwhile, and no thread waits (the client never reuses a buffer it handed over).
         */
        private void deliver(List<ByteBuffer> pieces, int from) {
            synchronized (this) {
                if (finished) {
                    return;
                }
                if (from < pieces.size()) {
                    handler.onData(pieces.get(from), () -> deliver(pieces, from + 1));
                    return;
                }
            }
            subscription.request(1);
        }

        @Override
        public void onError(Throwable error) {
            fail(map(error));
        }

        @Override
        public void onComplete() {
            synchronized (this) {
                if (finished) {
                    return;
                }
                finished = true;
                handler.onComplete();
            }
            release(false);
        }

        @Override
        public CompletionStage<Void> getBody() {
            return body;
        }

        void cancel() {
            synchronized (this) {
                if (finished) {
                    return;
                }
                finished = true;
                aborted = true;
            }
            release(true);
        }

        private void fail(TransportException error) {
            synchronized (this) {
                if (finished) {
                    return;
                }
                finished = true;
                aborted = true;
                handler.onError(error);
            }
            release(true);
        }

        private synchronized boolean headReceived() {
            return headReceived;
        }

        /**
         * Stops the deadline and, unless the body was read to its end, the JDK exchange, which
         * closes its connection. A completed exchange is left alone: its connection is back in
         * the pool, and cancelling it then would close a connection the next request may take.
         */
        private void release(boolean abort) {
            body.complete(null);
            ScheduledFuture<?> pending = deadline;
            if (pending != null) {
                pending.cancel(false);
            }
            if (!abort) {
                return;
            }
            Flow.Subscription current = subscription;
            if (current != null) {
                current.cancel();
            }
            CompletableFuture<HttpResponse<Void>> sent = exchange;
            if (sent != null && !sent.isDone()) {
                sent.cancel(true);
            }
        }
    }
}
