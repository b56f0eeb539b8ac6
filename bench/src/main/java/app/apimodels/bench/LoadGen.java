package app.apimodels.bench;

import java.io.IOException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;
import org.eclipse.jetty.client.BytesRequestContent;
import org.eclipse.jetty.client.HttpClient;
import org.eclipse.jetty.client.Response;
import org.eclipse.jetty.client.Result;
import org.eclipse.jetty.client.transport.HttpClientTransportOverHTTP;
import org.eclipse.jetty.http.HttpField;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpMethod;
import org.eclipse.jetty.http.PreEncodedHttpField;
import org.eclipse.jetty.util.thread.QueuedThreadPool;

/**
 * Closed-loop load generator: {@code --concurrency} virtual clients each send a request, wait for
 * the whole response and send the next, so latency is never hidden by queueing in the generator.
 *
 * <p>Prints one JSON line on stdout. Latencies are to the last byte (for streams: the whole SSE
 * stream, which must end with {@code data: [DONE]}, else it counts as an error); {@code ttfb} is to
 * the first body byte. Only responses completed inside the measuring window count; non-2xx,
 * transport failures and cut streams are counted as errors, not as latencies.
 *
 * <p>Failed calls are retried as the OpenAI SDKs do ({@code --max-retries}, 2 by default; 0 turns
 * it off): a transport failure or a 408, 409, 429 or 5xx answer before any content, after the
 * answer's {@code retry-after-ms} or {@code Retry-After} when it names at most a minute, else
 * after 0.5 s doubled per retry up to 8 s, less up to a quarter at random. A call counts as failed
 * only once its retries are spent (its latency counts from its first try); every retried answer
 * is counted apart by kind ({@code retried_kinds}), so no refusal is hidden. A stream cut after
 * content is not retried (the SDKs raise it to the caller).
 */
public final class LoadGen {
    static final String DEFAULT_BODY =
            "{\"model\":\"bench-chat\",\"messages\":[{\"role\":\"user\",\"content\":\"hello\"}],\"max_tokens\":16}";
    private static final byte[] DONE = "data: [DONE]".getBytes(StandardCharsets.US_ASCII);
    private static final int ERROR_BODIES_SHOWN = 5;
    private static final long INITIAL_RETRY_DELAY_MS = 500;
    private static final long MAX_RETRY_DELAY_MS = 8_000;
    private static final long MAX_RETRY_AFTER_MS = 60_000;
    private static final Pattern REASON = Pattern.compile("\"(code|detail)\"\\s*:\\s*\"([^\"]{1,60})");

    private enum Phase { WARMUP, MEASURE, STOPPED }

    private final HttpClient client;
    private final URI url;
    private final boolean stream;
    private final byte[] body;
    private final List<HttpField> authorizations;
    /** Sent with every request: what another gateway needs to reach the same mock (see bench/run.sh). */
    private final List<HttpField> extraHeaders;
    private final AtomicLong requestCount = new AtomicLong();
    /** Successful calls over the whole run, warm-up and drain included: what the gateway should have charged. */
    private final LongAdder allOk = new LongAdder();
    /** Failed calls over the whole run: for held-open streams, "all delivered" means none. */
    private final LongAdder allErrors = new LongAdder();
    private final Recorder latencyMicros = new Recorder(3);
    private final Recorder ttfbMicros = new Recorder(3);
    /**
     * For streams: the time between one body chunk and the next. Against an upstream that sends a
     * chunk every interval, the gateway's gaps minus the mock's own show what it adds per chunk.
     */
    private final Recorder chunkGapMicros = new Recorder(3);
    private final Map<String, LongAdder> errors = new ConcurrentHashMap<>();
    /**
     * With {@code --calls FILE}: each measured successful call's start, first byte and end as
     * {@code System.nanoTime()} (CLOCK_MONOTONIC on Linux, the clock of the gateway's
     * {@code -Xlog} {@code tn} decoration and of {@code perf -k CLOCK_MONOTONIC}), so slow calls
     * can be laid beside GC pauses, safepoints and scheduler traces.
     */
    private final java.util.Queue<long[]> calls;
    /** The kinds of {@code allErrors}: failures while thousands of streams open show up in the warm-up. */
    private final Map<String, LongAdder> allErrorKinds = new ConcurrentHashMap<>();
    private final AtomicInteger errorBodiesShown = new AtomicInteger();
    /** Failed tries that were retried, by kind, over the whole run (a 503 refusal is one each time it is seen). */
    private final Map<String, LongAdder> retriedKinds = new ConcurrentHashMap<>();
    private final int maxRetries;
    private final CountDownLatch clientsDone;
    /** The ramp, the phase switches and the waits before retries. */
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor();
    private volatile Phase phase = Phase.WARMUP;

    private LoadGen(HttpClient client, URI url, boolean stream, byte[] body, List<String> keys,
            List<HttpField> extraHeaders, int concurrency, boolean keepCalls, int maxRetries) {
        this.client = client;
        this.maxRetries = maxRetries;
        this.calls = keepCalls ? new java.util.concurrent.ConcurrentLinkedQueue<>() : null;
        this.extraHeaders = extraHeaders;
        this.url = url;
        this.stream = stream;
        this.body = body;
        this.authorizations = keys.stream()
                .map(k -> (HttpField) new PreEncodedHttpField(HttpHeader.AUTHORIZATION, "Bearer " + k))
                .toList();
        this.clientsDone = new CountDownLatch(concurrency);
    }

    public static void main(String[] args) throws Exception {
        Options o = new Options(args,
                Set.of("url", "concurrency", "duration-seconds", "warmup-seconds", "ramp-seconds", "keys", "body", "headers", "calls",
                        "max-retries"),
                Set.of("stream", "get"));
        URI url = URI.create(o.string("url", "http://127.0.0.1:18081/v1/chat/completions"));
        int concurrency = o.integer("concurrency", 1);
        int duration = o.integer("duration-seconds", 10);
        int warmup = o.integer("warmup-seconds", 3);
        int ramp = o.integer("ramp-seconds", 0);
        boolean stream = o.flag("stream");
        String body = readBody(o.string("body", DEFAULT_BODY));
        // --get: a GET without a body (health checks, reads) instead of a POST of the body.
        byte[] payload = o.flag("get") ? null : (stream ? withStream(body) : body).getBytes(StandardCharsets.UTF_8);

        QueuedThreadPool threads = new QueuedThreadPool(Math.max(16, Runtime.getRuntime().availableProcessors() * 8));
        threads.setName("loadgen");
        threads.setDaemon(true);
        HttpClient client = new HttpClient(new HttpClientTransportOverHTTP(1));
        client.setExecutor(threads);
        client.setMaxConnectionsPerDestination(concurrency);
        client.setMaxRequestsQueuedPerDestination(concurrency + 1024);
        client.setFollowRedirects(false);
        client.setUserAgentField(null);
        // Slow held-open streams may be quiet for a while; a minute of silence means something is stuck.
        client.setIdleTimeout(TimeUnit.MINUTES.toMillis(1));
        // Thousands of connections opened within seconds wait in the server's accept queue.
        client.setConnectTimeout(TimeUnit.SECONDS.toMillis(30));
        client.start();
        try {
            LoadGen gen = new LoadGen(client, url, stream, payload, keys(o.string("keys", "")),
                    headers(o.string("headers", "")), concurrency, !o.string("calls", "").isEmpty(),
                    o.integer("max-retries", 2));
            System.out.println(gen.run(concurrency, ramp, warmup, duration));
            if (gen.calls != null) {
                gen.writeCalls(Path.of(o.string("calls", "")));
            }
        } finally {
            client.stop();
        }
    }

    /**
     * Starts the clients evenly over {@code rampSeconds} (all at once for 0): ten thousand connects
     * at the same instant overflow any accept queue, and the SYN retries then distort the first
     * wave. The warm-up is counted from the moment the last client started, however long a busy
     * machine took to start them all.
     */
    private String run(int concurrency, int rampSeconds, int warmupSeconds, int durationSeconds) throws InterruptedException {
        // The measuring window is the clock's business: a timer of its own (the ramp's may lag
        // behind) switches the phases, this thread waits for the switch to "stopped".
        long[] start = new long[1];
        CountDownLatch stopped = new CountDownLatch(1);
        ScheduledExecutorService clock = Executors.newSingleThreadScheduledExecutor();
        long began = System.nanoTime();
        try {
            long rampNanos = TimeUnit.SECONDS.toNanos(rampSeconds);
            for (int i = 0; i < concurrency; i++) {
                timer.schedule(() -> send(0, 0), rampNanos * i / concurrency, TimeUnit.NANOSECONDS);
            }
            timer.schedule(() -> {
                System.err.printf(Locale.ROOT, "%d clients started in %.1f s%n", concurrency, (System.nanoTime() - began) / 1e9);
                clock.schedule(() -> {
                    start[0] = System.nanoTime();
                    phase = Phase.MEASURE;
                }, warmupSeconds, TimeUnit.SECONDS);
                clock.schedule(() -> {
                    phase = Phase.STOPPED;
                    stopped.countDown();
                }, warmupSeconds + durationSeconds, TimeUnit.SECONDS);
            }, rampNanos, TimeUnit.NANOSECONDS);
            stopped.await();
        } catch (InterruptedException e) {
            timer.shutdownNow();
            throw e;
        } finally {
            clock.shutdown();
        }
        double seconds = (System.nanoTime() - start[0]) / 1e9;
        if (!clientsDone.await(2, TimeUnit.MINUTES)) {
            System.err.println("warning: " + clientsDone.getCount() + " requests still open after the run");
        }
        timer.shutdownNow();
        Histogram latency = latencyMicros.getIntervalHistogram();
        Histogram ttfb = ttfbMicros.getIntervalHistogram();
        Histogram gaps = chunkGapMicros.getIntervalHistogram();
        long errorCount = errors.values().stream().mapToLong(LongAdder::sum).sum();
        StringBuilder json = new StringBuilder("{");
        field(json, "url", '"' + url.toString() + '"');
        field(json, "concurrency", concurrency);
        field(json, "stream", stream);
        field(json, "seconds", fmt(seconds));
        field(json, "requests", latency.getTotalCount());
        field(json, "errors", errorCount);
        field(json, "total_ok", allOk.sum());
        field(json, "total_errors", allErrors.sum());
        field(json, "rps", fmt(latency.getTotalCount() / seconds));
        field(json, "p50_ms", ms(latency, 50));
        field(json, "p90_ms", ms(latency, 90));
        field(json, "p99_ms", ms(latency, 99));
        field(json, "max_ms", fmt(latency.getMaxValue() / 1000.0));
        if (stream) {
            field(json, "ttfb_p50_ms", ms(ttfb, 50));
            field(json, "ttfb_p99_ms", ms(ttfb, 99));
            field(json, "chunk_gaps", gaps.getTotalCount());
            field(json, "chunk_gap_p50_ms", ms(gaps, 50));
            field(json, "chunk_gap_p99_ms", ms(gaps, 99));
            field(json, "chunk_gap_max_ms", fmt(gaps.getMaxValue() / 1000.0));
        }
        field(json, "error_kinds", kinds(errors));
        field(json, "total_error_kinds", kinds(allErrorKinds));
        field(json, "max_retries", maxRetries);
        field(json, "retried", retriedKinds.values().stream().mapToLong(LongAdder::sum).sum());
        field(json, "retried_kinds", kinds(retriedKinds));
        json.setLength(json.length() - 1);
        return json.append('}').toString();
    }

    /**
     * One virtual client's next try: a new call ({@code retry} 0) or a retry of the call started at
     * {@code callStart}; or the client's end once the run is over.
     */
    private void send(int retry, long callStart) {
        if (phase == Phase.STOPPED) {
            clientsDone.countDown();
            return;
        }
        HttpField authorization = authorizations.isEmpty() ? null
                : authorizations.get((int) (requestCount.getAndIncrement() % authorizations.size()));
        var request = client.newRequest(url)
                .method(body == null ? HttpMethod.GET : HttpMethod.POST)
                .headers(h -> {
                    if (authorization != null) {
                        h.put(authorization);
                    }
                    extraHeaders.forEach(h::put);
                });
        if (body != null) {
            request.body(new BytesRequestContent("application/json", body));
        }
        request.send(new Exchange(retry == 0 ? System.nanoTime() : callStart, retry));
    }

    /** Times one request and checks its outcome; buffers the body only when it is an error. */
    private final class Exchange implements Response.Listener {
        private final long start;
        private final int retry;
        private long firstByte;
        private long lastChunk;
        private final byte[] tail = new byte[DONE.length + 4];
        private int tailLength;
        private StringBuilder errorBody;

        Exchange(long start, int retry) {
            this.start = start;
            this.retry = retry;
        }

        @Override
        public void onContent(Response response, ByteBuffer content) {
            long now = System.nanoTime();
            if (firstByte == 0) {
                firstByte = now;
            } else if (stream && phase == Phase.MEASURE) {
                chunkGapMicros.recordValue((now - lastChunk) / 1000);
            }
            lastChunk = now;
            if (response.getStatus() / 100 != 2) {
                if (errorBody == null) {
                    errorBody = new StringBuilder();
                }
                if (errorBody.length() < 1000) {
                    errorBody.append(StandardCharsets.UTF_8.decode(content.slice()));
                }
            } else if (stream) {
                keepTail(content);
            }
        }

        @Override
        public void onComplete(Result result) {
            long end = System.nanoTime();
            String error = classify(result);
            if (error != null && retry < maxRetries && retryable(result)) {
                retriedKinds.computeIfAbsent(error, k -> new LongAdder()).increment();
                timer.schedule(() -> send(retry + 1, start), retryDelayMillis(result), TimeUnit.MILLISECONDS);
                return;
            }
            if (error == null) {
                allOk.increment();
            } else {
                allErrors.increment();
                allErrorKinds.computeIfAbsent(error, k -> new LongAdder()).increment();
            }
            if (phase == Phase.MEASURE) {
                if (error == null) {
                    latencyMicros.recordValue((end - start) / 1000);
                    ttfbMicros.recordValue(((firstByte == 0 ? end : firstByte) - start) / 1000);
                    if (calls != null) {
                        calls.add(new long[] {start, firstByte == 0 ? end : firstByte, end});
                    }
                } else {
                    errors.computeIfAbsent(error, k -> new LongAdder()).increment();
                }
            }
            if (error != null && errorBodiesShown.getAndIncrement() < ERROR_BODIES_SHOWN) {
                System.err.println("error: " + error + (errorBody == null ? "" : ": " + errorBody)
                        + (result.getFailure() == null ? "" : " (" + result.getFailure() + ")"));
            }
            send(0, 0);
        }

        /** As the SDKs: a failure to connect or send, or a 408, 409, 429 or 5xx — never a stream cut after content. */
        private boolean retryable(Result result) {
            Response response = result.getResponse();
            int status = response == null ? 0 : response.getStatus();
            if (status / 100 == 2) {
                return false;
            }
            return status == 0 || status == 408 || status == 409 || status == 429 || status >= 500;
        }

        /** The answer's retry-after-ms or Retry-After when it names at most a minute, else exponential backoff with jitter. */
        private long retryDelayMillis(Result result) {
            Response response = result.getResponse();
            if (response != null) {
                long named = retryAfterMillis(response.getHeaders().get("retry-after-ms"), 1)
                        .orElse(retryAfterMillis(response.getHeaders().get(HttpHeader.RETRY_AFTER), 1000).orElse(-1));
                if (named >= 0 && named <= MAX_RETRY_AFTER_MS) {
                    return named;
                }
            }
            long backoff = Math.min(INITIAL_RETRY_DELAY_MS << Math.min(retry, 16), MAX_RETRY_DELAY_MS);
            return (long) (backoff * (1 - 0.25 * ThreadLocalRandom.current().nextDouble()));
        }

        private String classify(Result result) {
            if (result.isFailed()) {
                return result.getFailure().getClass().getSimpleName();
            }
            int status = result.getResponse().getStatus();
            if (status / 100 != 2) {
                return "status " + status + reason();
            }
            return stream && !endsWithDone() ? "stream without [DONE]" : null;
        }

        /**
         * What an error answer says it is, so that kinds with the same status but different causes
         * (a 503 for an open circuit, for too many bodies being received) are counted apart: its
         * OpenAI-shaped {@code code}, else its problem {@code detail}.
         */
        private String reason() {
            if (errorBody == null) {
                return "";
            }
            Matcher m = REASON.matcher(errorBody);
            return m.find() ? " " + m.group(2) : "";
        }

        /** Keeps the last bytes of the stream, enough to see whether it ended with {@code data: [DONE]}. */
        private void keepTail(ByteBuffer content) {
            int n = Math.min(content.remaining(), tail.length);
            int keep = Math.min(tailLength, tail.length - n);
            System.arraycopy(tail, tailLength - keep, tail, 0, keep);
            content.get(content.limit() - n, tail, keep, n);
            tailLength = keep + n;
        }

        private boolean endsWithDone() {
            int end = tailLength;
            while (end > 0 && (tail[end - 1] == '\n' || tail[end - 1] == '\r')) {
                end--;
            }
            return end >= DONE.length && Arrays.equals(tail, end - DONE.length, end, DONE, 0, DONE.length);
        }
    }

    /** A header's number of {@code unit} milliseconds; empty when absent, negative or not a number (an HTTP date). */
    static OptionalLong retryAfterMillis(String value, long unit) {
        if (value == null) {
            return OptionalLong.empty();
        }
        try {
            double amount = Double.parseDouble(value.strip());
            return amount >= 0 ? OptionalLong.of((long) (amount * unit)) : OptionalLong.empty();
        } catch (NumberFormatException e) {
            return OptionalLong.empty();
        }
    }

    /** One line per call: start, first byte and end in nanoseconds of {@code System.nanoTime()}. */
    private void writeCalls(Path file) throws IOException {
        StringBuilder text = new StringBuilder();
        for (long[] c : calls) {
            text.append(c[0]).append(' ').append(c[1]).append(' ').append(c[2]).append('\n');
        }
        Files.writeString(file, text);
    }

    /** Adds {@code "stream": true} and asks for usage in the last chunk, as gateways' clients do. */
    static String withStream(String body) {
        if (body.contains("\"stream\"")) {
            return body;
        }
        int brace = body.indexOf('{');
        boolean empty = body.substring(brace + 1).strip().startsWith("}");
        return body.substring(0, brace + 1) + "\"stream\":true,\"stream_options\":{\"include_usage\":true}"
                + (empty ? "" : ",") + body.substring(brace + 1);
    }

    /** {@code --body} is JSON text, or {@code @path} to read it from a file. */
    private static String readBody(String value) throws IOException {
        return value.startsWith("@") ? Files.readString(Path.of(value.substring(1))) : value;
    }

    /** {@code --keys} is a file with one key per line, or a comma-separated list. */
    private static List<String> keys(String value) throws IOException {
        Path file = Path.of(value);
        List<String> raw = !value.isEmpty() && Files.isRegularFile(file)
                ? Files.readAllLines(file) : Arrays.asList(value.split(","));
        return raw.stream().map(String::strip).filter(k -> !k.isEmpty()).toList();
    }

    /** {@code --headers "Name: value; Name: value"}: sent as they are with every request. */
    private static List<HttpField> headers(String value) {
        return Arrays.stream(value.split(";"))
                .map(String::strip)
                .filter(h -> !h.isEmpty())
                .map(h -> {
                    int colon = h.indexOf(':');
                    if (colon < 1) {
                        throw new IllegalArgumentException("--headers wants 'Name: value; ...', got: " + h);
                    }
                    return (HttpField) new PreEncodedHttpField(h.substring(0, colon).strip(), h.substring(colon + 1).strip());
                })
                .toList();
    }

    private static String kinds(Map<String, LongAdder> counts) {
        return new TreeMap<>(counts).entrySet().stream()
                .map(e -> '"' + e.getKey() + "\":" + e.getValue().sum())
                .collect(Collectors.joining(",", "{", "}"));
    }

    private static void field(StringBuilder json, String name, Object value) {
        json.append('"').append(name).append("\":").append(value).append(',');
    }

    private static String ms(Histogram h, double percentile) {
        return fmt(h.getValueAtPercentile(percentile) / 1000.0);
    }

    private static String fmt(double value) {
        return String.format(Locale.ROOT, "%.3f", value);
    }
}
