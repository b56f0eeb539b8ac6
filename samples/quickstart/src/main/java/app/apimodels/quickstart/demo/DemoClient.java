package app.apimodels.quickstart.demo;

import app.apimodels.spi.http.Cancellable;
import app.apimodels.json.JsonMappers;
import app.apimodels.spi.provider.Operation;
import app.apimodels.spi.provider.ProviderClient;
import app.apimodels.spi.provider.ProviderException;
import app.apimodels.spi.provider.ProviderRequest;
import app.apimodels.spi.provider.ProviderResult;
import app.apimodels.spi.provider.StreamChunk;
import app.apimodels.spi.provider.StreamSink;
import app.apimodels.spi.provider.TaskOutput;
import app.apimodels.spi.provider.TaskRequest;
import app.apimodels.spi.provider.TaskUpdate;
import app.apimodels.spi.provider.Usage;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * Answers in OpenAI's wire format, locally and at once. DEMO behaviour, not a model:
 * <ul>
 *   <li>chat replies {@value #REPLY_PREFIX} followed by the last user message, cut to
 *       {@value #ECHO_LIMIT} characters; a stream sends one chunk per word;</li>
 *   <li>embeddings are {@value #DIMENSIONS}-dimensional unit vectors made from the SHA-256 of each
 *       input: equal inputs give equal vectors, but similar inputs do not give similar ones;</li>
 *   <li>images are small PNGs of shapes drawn from the SHA-256 of the prompt ({@link DemoPainter}):
 *       a task that finishes at once, so the engine holds, stores the files and settles as for
 *       any upstream;</li>
 *   <li>usage is reported the way an upstream reports it, counted by one deterministic rule:
 *       tokens = UTF-8 bytes / 4, rounded up. Prompt tokens count the text of all messages (or all
 *       embedding inputs), completion tokens the reply.</li>
 * </ul>
 */
final class DemoClient implements ProviderClient {

    static final String REPLY_PREFIX = "[demo provider] You said: ";
    static final int ECHO_LIMIT = 200;
    static final int DIMENSIONS = 8;
    static final int MAX_IMAGES = 10;

    private static final ObjectMapper JSON = JsonMappers.create();
    private static final String JSON_TYPE = "application/json";

    /** Streams are produced on their own threads, as a network upstream would deliver them. */
    private final ExecutorService streams;

    DemoClient() {
        this(Executors.newCachedThreadPool(task -> {
            Thread thread = new Thread(task, "demo-provider-stream");
            thread.setDaemon(true);
            return thread;
        }));
    }

    /** For tests, to wait until a stream's thread is done. */
    DemoClient(ExecutorService streams) {
        this.streams = streams;
    }

    @Override
    public Set<Operation> operations() {
        return Set.of(Operation.CHAT, Operation.EMBEDDINGS, Operation.IMAGES);
    }

    /**
     * Images are a task that finishes at once: {@code n} PNGs drawn from the prompt by
     * {@link DemoPainter}, handed back as bytes for the engine to store (no upstream id, nothing
     * to poll); usage is left to the engine, which counts the images.
     */
    @Override
    public CompletableFuture<TaskUpdate> submit(TaskRequest request) {
        if (request.operation() != Operation.IMAGES) {
            return CompletableFuture.failedFuture(unsupported(request.operation()));
        }
        if (!(request.input().get("prompt") instanceof String prompt) || prompt.isBlank()) {
            return CompletableFuture.failedFuture(invalid("prompt", "prompt must be a non-empty string"));
        }
        int n = request.input().get("n") instanceof Number number ? Math.max(1, Math.min(MAX_IMAGES, number.intValue())) : 1;
        List<TaskOutput> images = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            images.add(TaskOutput.bytes(DemoPainter.png(prompt, i), "image/png"));
        }
        return CompletableFuture.completedFuture(TaskUpdate.succeeded(null, images, null));
    }

    @Override
    public CompletableFuture<ProviderResult> call(ProviderRequest request) {
        try {
            return CompletableFuture.completedFuture(switch (request.operation()) {
                case CHAT -> completion(request, Reply.to(request));
                case EMBEDDINGS -> embeddings(request);
                default -> throw unsupported(request.operation());
            });
        } catch (ProviderException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    @Override
    public Cancellable stream(ProviderRequest request, StreamSink sink) {
        ChatStream stream = new ChatStream(request, sink);
        streams.execute(stream);
        return stream::cancel;
    }

    @Override
    public void close() {
        streams.shutdownNow();
    }

    /** The reply text and its usage, computed from a chat request. */
    private record Reply(String text, Usage usage) {

        static Reply to(ProviderRequest request) {
            if (!(request.payload().get("messages") instanceof List<?> messages) || messages.isEmpty()) {
                throw invalid("messages", "messages must be a non-empty list");
            }
            long promptBytes = 0;
            String lastUserText = "";
            for (Object item : messages) {
                if (!(item instanceof Map<?, ?> message)) {
                    throw invalid("messages", "each message must be an object");
                }
                String text = textOf(message.get("content"));
                promptBytes += utf8Length(text);
                if ("user".equals(message.get("role"))) {
                    lastUserText = text;
                }
            }
            String reply = REPLY_PREFIX + truncate(lastUserText);
            return new Reply(reply, Usage.tokens(tokens(promptBytes), 0, tokens(utf8Length(reply))));
        }

        /** Content is a string, or a list of parts of which the text parts count. */
        private static String textOf(Object content) {
            if (content instanceof String text) {
                return text;
            }
            StringBuilder text = new StringBuilder();
            if (content instanceof List<?> parts) {
                for (Object part : parts) {
                    if (part instanceof Map<?, ?> map && map.get("text") instanceof String partText) {
                        text.append(partText);
                    }
                }
            }
            return text.toString();
        }

        private static String truncate(String text) {
            return text.codePointCount(0, text.length()) <= ECHO_LIMIT
                    ? text : text.substring(0, text.offsetByCodePoints(0, ECHO_LIMIT));
        }
    }

    /**
     * Delivers one streamed reply. Cancelling takes no lock: the engine cancels while holding its
     * own lock, which a delivery under way may be waiting for. A call already under way when
     * cancel is invoked finishes; none starts afterwards.
     */
    private static final class ChatStream implements Runnable {
        private final ProviderRequest request;
        private final StreamSink sink;
        private volatile boolean cancelled;

        ChatStream(ProviderRequest request, StreamSink sink) {
            this.request = request;
            this.sink = sink;
        }

        void cancel() {
            cancelled = true;
        }

        @Override
        public void run() {
            List<Runnable> calls = new ArrayList<>();
            try {
                if (request.operation() != Operation.CHAT) {
                    throw unsupported(request.operation());
                }
                Reply reply = Reply.to(request);
                for (StreamChunk chunk : chunks(request, reply)) {
                    calls.add(() -> sink.onChunk(chunk));
                }
                calls.add(() -> sink.onUsage(reply.usage()));
                calls.add(sink::onComplete);
            } catch (ProviderException e) {
                calls.add(() -> sink.onError(e));
            }
            for (Runnable call : calls) {
                if (cancelled) {
                    return;
                }
                call.run();
            }
        }
    }

    /** One chunk per word, a last one with the finish reason, then usage if the client asked for it. */
    private static List<StreamChunk> chunks(ProviderRequest request, Reply reply) {
        String id = "chatcmpl-demo-" + UUID.randomUUID();
        long created = Instant.now().getEpochSecond();
        List<StreamChunk> chunks = new ArrayList<>();
        String[] words = reply.text().split(" ", -1);
        for (int i = 0; i < words.length; i++) {
            String piece = i == 0 ? words[0] : " " + words[i];
            ObjectNode chunk = chunkHead(request, id, created);
            ObjectNode choice = chunk.putArray("choices").addObject().put("index", 0);
            ObjectNode delta = choice.putObject("delta");
            if (i == 0) {
                delta.put("role", "assistant");
            }
            delta.put("content", piece);
            choice.putNull("finish_reason");
            chunks.add(new StreamChunk(bytes(chunk), piece));
        }
        ObjectNode last = chunkHead(request, id, created);
        ObjectNode stop = last.putArray("choices").addObject().put("index", 0);
        stop.putObject("delta");
        stop.put("finish_reason", "stop");
        chunks.add(new StreamChunk(bytes(last), ""));
        if (request.payload().get("stream_options") instanceof Map<?, ?> options
                && Boolean.TRUE.equals(options.get("include_usage"))) {
            ObjectNode usage = chunkHead(request, id, created);
            usage.putArray("choices");
            usage.set("usage", usageJson(reply.usage()));
            chunks.add(new StreamChunk(bytes(usage), ""));
        }
        return chunks;
    }

    private static ObjectNode chunkHead(ProviderRequest request, String id, long created) {
        return JSON.createObjectNode().put("id", id).put("object", "chat.completion.chunk")
                .put("created", created).put("model", request.upstreamModel());
    }

    private static ProviderResult completion(ProviderRequest request, Reply reply) {
        ObjectNode completion = JSON.createObjectNode()
                .put("id", "chatcmpl-demo-" + UUID.randomUUID())
                .put("object", "chat.completion")
                .put("created", Instant.now().getEpochSecond())
                .put("model", request.upstreamModel());
        ObjectNode choice = completion.putArray("choices").addObject().put("index", 0);
        choice.putObject("message").put("role", "assistant").put("content", reply.text());
        choice.put("finish_reason", "stop");
        completion.set("usage", usageJson(reply.usage()));
        return new ProviderResult(bytes(completion), JSON_TYPE, reply.usage());
    }

    private static ProviderResult embeddings(ProviderRequest request) {
        List<String> inputs = embeddingInputs(request.payload().get("input"));
        boolean base64 = "base64".equals(request.payload().get("encoding_format"));
        ObjectNode result = JSON.createObjectNode().put("object", "list");
        ArrayNode data = result.putArray("data");
        long inputBytes = 0;
        for (int i = 0; i < inputs.size(); i++) {
            float[] vector = vectorOf(inputs.get(i));
            inputBytes += utf8Length(inputs.get(i));
            ObjectNode item = data.addObject().put("object", "embedding").put("index", i);
            if (base64) {
                item.put("embedding", base64(vector));
            } else {
                ArrayNode values = item.putArray("embedding");
                for (float value : vector) {
                    values.add(value);
                }
            }
        }
        long promptTokens = tokens(inputBytes);
        result.put("model", request.upstreamModel());
        result.putObject("usage").put("prompt_tokens", promptTokens).put("total_tokens", promptTokens);
        return new ProviderResult(bytes(result), JSON_TYPE, Usage.tokens(promptTokens, 0, 0));
    }

    /** A string, or a list of strings (token arrays are taken by their JSON-like text). */
    private static List<String> embeddingInputs(Object input) {
        if (input instanceof String text) {
            return List.of(text);
        }
        if (input instanceof List<?> items && !items.isEmpty()) {
            List<String> texts = new ArrayList<>();
            for (Object item : items) {
                texts.add(item instanceof String text ? text : String.valueOf(item));
            }
            return texts;
        }
        throw invalid("input", "input must be a string or a non-empty list");
    }

    /** The SHA-256 of the text as eight signed ints, scaled to unit length. */
    private static float[] vectorOf(String text) {
        ByteBuffer hash;
        try {
            hash = ByteBuffer.wrap(MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("Every Java runtime has SHA-256", e);
        }
        float[] vector = new float[DIMENSIONS];
        double sumOfSquares = 0;
        for (int i = 0; i < DIMENSIONS; i++) {
            vector[i] = hash.getInt();
            sumOfSquares += (double) vector[i] * vector[i];
        }
        double length = Math.sqrt(sumOfSquares);
        for (int i = 0; i < DIMENSIONS; i++) {
            vector[i] = (float) (vector[i] / length);
        }
        return vector;
    }

    /** OpenAI's base64 form: the float32 values, little-endian. */
    private static String base64(float[] vector) {
        ByteBuffer buffer = ByteBuffer.allocate(vector.length * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        for (float value : vector) {
            buffer.putFloat(value);
        }
        return Base64.getEncoder().encodeToString(buffer.array());
    }

    private static ObjectNode usageJson(Usage usage) {
        return JSON.createObjectNode().put("prompt_tokens", usage.inputTokens())
                .put("completion_tokens", usage.outputTokens())
                .put("total_tokens", usage.inputTokens() + usage.outputTokens());
    }

    private static long tokens(long utf8Bytes) {
        return (utf8Bytes + 3) / 4;
    }

    private static long utf8Length(String text) {
        return text.getBytes(StandardCharsets.UTF_8).length;
    }

    private static byte[] bytes(ObjectNode json) {
        try {
            return JSON.writeValueAsBytes(json);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("A tree of plain values always serialises", e);
        }
    }

    private static ProviderException invalid(String param, String message) {
        return new ProviderException(ProviderException.Kind.INVALID_REQUEST, 400, message, param, null);
    }

    private static ProviderException unsupported(Operation operation) {
        return new ProviderException(ProviderException.Kind.INVALID_REQUEST, 400,
                "The demo provider does not do " + operation, null, null);
    }
}
