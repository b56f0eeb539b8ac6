package app.apimodels.core.engine;

import app.apimodels.spi.http.Cancellable;
import app.apimodels.spi.http.HttpTransport;
import app.apimodels.spi.provider.ModelProvider;
import app.apimodels.spi.provider.Operation;
import app.apimodels.spi.provider.ProviderClient;
import app.apimodels.spi.provider.ProviderConfig;
import app.apimodels.spi.provider.ProviderException;
import app.apimodels.spi.provider.ProviderRequest;
import app.apimodels.spi.provider.ProviderResult;
import app.apimodels.spi.provider.StreamSink;
import app.apimodels.spi.provider.TaskRequest;
import app.apimodels.spi.provider.TaskUpdate;
import app.apimodels.spi.provider.Usage;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * An upstream the test scripts, registered as provider type {@value #TYPE}: the engine is tested
 * here, not a vendor's wire format (the integrations' own contract tests cover those), so answers
 * are handed over in memory and a stream is driven chunk by chunk by the test itself, which makes
 * "the client left after the second chunk" exact instead of a race.
 */
final class ScriptedProvider implements ModelProvider {

    static final String TYPE = "scripted";

    /** What a non-streamed call answers; by default a chat completion with {@link #CHAT_USAGE}. */
    volatile Function<ProviderRequest, CompletableFuture<ProviderResult>> onCall = r -> CompletableFuture.completedFuture(chat(CHAT_USAGE));
    /** What a task submission answers. */
    volatile Function<TaskRequest, CompletableFuture<TaskUpdate>> onSubmit =
            r -> CompletableFuture.failedFuture(failure("no submission scripted"));
    /** What a poll answers. */
    volatile Function<String, CompletableFuture<TaskUpdate>> onPoll =
            id -> CompletableFuture.failedFuture(failure("no poll scripted"));

    static final Usage CHAT_USAGE = Usage.tokens(11, 0, 5);
    static final String REPLY = "Hello there";

    /**
     * Scripts for calls made with one upstream key (the key of a route's provider, or one key of a
     * pool), taking the place of {@link #onCall} for that key.
     */
    final Map<String, Function<ProviderRequest, CompletableFuture<ProviderResult>>> onCallWithKey = new ConcurrentHashMap<>();
    /** The upstream key of every call, stream and task submission, in the order they came. */
    final List<String> keysUsed = new CopyOnWriteArrayList<>();
    final List<ProviderRequest> calls = new CopyOnWriteArrayList<>();
    final List<TaskRequest> submissions = new CopyOnWriteArrayList<>();
    final List<String> polls = new CopyOnWriteArrayList<>();
    private final BlockingQueue<OpenStream> streams = new LinkedBlockingQueue<>();

    @Override
    public String type() {
        return TYPE;
    }

    @Override
    public ProviderClient create(ProviderConfig config, HttpTransport transport) {
        return new ProviderClient() {
            @Override
            public Set<Operation> operations() {
                return EnumSet.allOf(Operation.class);
            }

            @Override
            public CompletableFuture<ProviderResult> call(ProviderRequest request) {
                calls.add(request);
                keysUsed.add(config.apiKey());
                return onCallWithKey.getOrDefault(config.apiKey(), onCall).apply(request);
            }

            @Override
            public Cancellable stream(ProviderRequest request, StreamSink sink) {
                calls.add(request);
                keysUsed.add(config.apiKey());
                OpenStream stream = new OpenStream(request, sink, config.apiKey());
                streams.add(stream);
                return stream;
            }

            @Override
            public CompletableFuture<TaskUpdate> submit(TaskRequest request) {
                submissions.add(request);
                keysUsed.add(config.apiKey());
                return onSubmit.apply(request);
            }

            @Override
            public CompletableFuture<TaskUpdate> poll(String upstreamId) {
                polls.add(upstreamId);
                return onPoll.apply(upstreamId);
            }
        };
    }

    /** Back to the default scripts, forgetting what was received (one engine serves a test class). */
    void reset() {
        onCall = r -> CompletableFuture.completedFuture(chat(CHAT_USAGE));
        onSubmit = r -> CompletableFuture.failedFuture(failure("no submission scripted"));
        onPoll = id -> CompletableFuture.failedFuture(failure("no poll scripted"));
        onCallWithKey.clear();
        keysUsed.clear();
        calls.clear();
        submissions.clear();
        polls.clear();
        streams.clear();
    }

    /** The next stream the engine opened, waiting for it until {@code timeout}. */
    OpenStream nextStream(Duration timeout) throws InterruptedException {
        OpenStream s = streams.poll(timeout.toMillis(), TimeUnit.MILLISECONDS);
        if (s == null) {
            throw new AssertionError("the engine opened no upstream stream within " + timeout);
        }
        return s;
    }

    /** A stream the engine opened: the test delivers its chunks, and sees whether the engine cancelled it. */
    static final class OpenStream implements Cancellable {
        /** What the engine sent; null once {@link #forgetRequest forgotten}. */
        volatile ProviderRequest request;
        private final String upstreamModel;
        final StreamSink sink;
        /** The upstream key it was opened with. */
        final String key;
        private final CountDownLatch cancelled = new CountDownLatch(1);

        OpenStream(ProviderRequest request, StreamSink sink, String key) {
            this.request = request;
            this.upstreamModel = request.upstreamModel();
            this.sink = sink;
            this.key = key;
        }

        /** Delivers one chunk in OpenAI's format carrying {@code text}. */
        void chunk(String text) {
            sink.onChunk(new app.apimodels.spi.provider.StreamChunk(chunkJson(upstreamModel, text), text));
        }

        /** Lets go of the request, as a provider does once it has sent it (the test clears {@code calls} too); returns it. */
        ProviderRequest forgetRequest() {
            ProviderRequest sent = request;
            request = null;
            return sent;
        }

        @Override
        public void cancel() {
            cancelled.countDown();
        }

        boolean awaitCancelled(Duration timeout) throws InterruptedException {
            return cancelled.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
        }
    }

    /** An embeddings answer of 7 prompt tokens. */
    static ProviderResult embeddings() {
        return new ProviderResult(("{\"object\":\"list\",\"data\":[{\"object\":\"embedding\",\"index\":0,\"embedding\":[0.5,-0.25]}],"
                + "\"model\":\"upstream-embed\",\"usage\":{\"prompt_tokens\":7,\"total_tokens\":7}}").getBytes(StandardCharsets.UTF_8),
                "application/json", Usage.tokens(7, 0, 0));
    }

    static ProviderResult chat(Usage usage) {
        String body = """
                {"id":"chatcmpl-1","object":"chat.completion","created":1,"model":"upstream-chat",
                 "choices":[{"index":0,"message":{"role":"assistant","content":"%s"},"finish_reason":"stop"}],
                 "usage":{"prompt_tokens":%d,"completion_tokens":%d,"total_tokens":%d}}"""
                .formatted(REPLY, usage.inputTokens(), usage.outputTokens(), usage.inputTokens() + usage.outputTokens());
        return new ProviderResult(body.getBytes(StandardCharsets.UTF_8), "application/json", usage);
    }

    static byte[] chunkJson(String model, String text) {
        return ("{\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"" + model
                + "\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"" + text + "\"},\"finish_reason\":null}]}")
                .getBytes(StandardCharsets.UTF_8);
    }

    static ProviderException failure(String message) {
        return new ProviderException(ProviderException.Kind.UPSTREAM_ERROR, 500, message, null, null);
    }
}
