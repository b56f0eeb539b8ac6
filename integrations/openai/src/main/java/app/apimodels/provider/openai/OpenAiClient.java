package app.apimodels.provider.openai;

import app.apimodels.spi.http.Cancellable;
import app.apimodels.spi.http.HttpRequestSpec;
import app.apimodels.spi.http.HttpResponseData;
import app.apimodels.spi.http.HttpTransport;
import app.apimodels.spi.provider.EventStreamRelay;
import app.apimodels.spi.provider.Operation;
import app.apimodels.spi.provider.ProviderClient;
import app.apimodels.spi.provider.ProviderConfig;
import app.apimodels.spi.provider.ProviderException;
import app.apimodels.spi.provider.ProviderRequest;
import app.apimodels.spi.provider.ProviderResult;
import app.apimodels.spi.provider.StreamSink;
import app.apimodels.spi.provider.TaskOutput;
import app.apimodels.spi.provider.TaskRequest;
import app.apimodels.spi.provider.TaskUpdate;
import app.apimodels.spi.provider.UpstreamCalls;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * One configured OpenAI-compatible upstream (OpenAI, DeepSeek, Groq, vLLM, Ollama, OpenRouter…).
 * Calls (chat, embeddings, responses, transcriptions, speech) are forwarded as they came, with the model replaced by the
 * upstream's name; answers are handed back byte for byte, with the usage read from them.
 * Generation tasks (images, speech) are finished in one synchronous call.
 */
final class OpenAiClient implements ProviderClient {

    /** Catalog option: longest silence within a stream, in seconds; defaults to the timeout. */
    static final String STREAM_IDLE_TIMEOUT_OPTION = "stream-idle-timeout-seconds";
    /** A probe is a health check: it must not hang for a whole call's timeout. */
    private static final Duration MAX_PROBE_TIMEOUT = Duration.ofSeconds(10);
    private static final Set<Operation> OPERATIONS = Set.of(Operation.CHAT, Operation.EMBEDDINGS, Operation.IMAGES,
            Operation.SPEECH, Operation.RESPONSES, Operation.TRANSCRIPTION);
    /** Threads reading the input files of image edits at once, per client. */
    private static final int MEDIA_READERS = 4;
    private static final String JSON = "application/json";

    private final ProviderConfig config;
    private final HttpTransport transport;
    private final ObjectMapper mapper;
    private final UpstreamErrors errors;
    private final UsageReader usageReader;
    private final Images images;
    /**
     * Reads input files (blocking storage reads). Never shut down: calls in flight may outlive
     * the client (a catalog refresh), and idle threads end by themselves.
     */
    private final ThreadPoolExecutor mediaReader;
    private final String baseUrl;
    private final Duration streamIdleTimeout;
    private final Map<String, String> jsonHeaders;
    private final Map<String, URI> uris = new java.util.concurrent.ConcurrentHashMap<>();

    OpenAiClient(ProviderConfig config, HttpTransport transport, ObjectMapper mapper) {
        this.config = config;
        this.transport = Objects.requireNonNull(transport, "transport");
        this.mapper = mapper;
        this.errors = new UpstreamErrors(mapper, config.apiKey());
        this.usageReader = new UsageReader(mapper);
        this.images = new Images(mapper, errors);
        this.mediaReader = new ThreadPoolExecutor(MEDIA_READERS, MEDIA_READERS, 30, TimeUnit.SECONDS,
                new LinkedBlockingQueue<>(), runnable -> {
                    Thread thread = new Thread(runnable, "apimodels-openai-media-" + config.id());
                    thread.setDaemon(true);
                    return thread;
                });
        mediaReader.allowCoreThreadTimeOut(true);
        Objects.requireNonNull(config.baseUrl(), "baseUrl");
        Objects.requireNonNull(config.timeout(), "timeout");
        String base = config.baseUrl().toString();
        this.baseUrl = base.endsWith("/") ? base.substring(0, base.length() - 1) : base;
        this.streamIdleTimeout = streamIdleTimeout(config);
        this.jsonHeaders = Map.copyOf(newHeaders(JSON, JSON));
    }

    private static Duration streamIdleTimeout(ProviderConfig config) {
        String seconds = config.options().get(STREAM_IDLE_TIMEOUT_OPTION);
        if (seconds == null) {
            return config.timeout();
        }
        try {
            return Duration.ofSeconds(Long.parseLong(seconds.strip()));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("provider " + config.id() + ": " + STREAM_IDLE_TIMEOUT_OPTION
                    + " must be a whole number of seconds, not '" + seconds + "'", e);
        }
    }

    @Override
    public Set<Operation> operations() {
        return OPERATIONS;
    }

    @Override
    public CompletableFuture<ProviderResult> call(ProviderRequest request) {
        if (request.operation() == Operation.SPEECH) {
            Map<String, Object> payload = new LinkedHashMap<>(request.payload());
            payload.put("model", request.upstreamModel());
            return speech(payload, audio -> new ProviderResult(audio.data(),
                    audio.contentType() == null ? "application/octet-stream" : audio.contentType(), audio.usage()));
        }
        if (request.operation() == Operation.TRANSCRIPTION) {
            // Reading the audio blocks (a temporary file): not on the caller's thread.
            return exchange(CompletableFuture.supplyAsync(() -> {
                Multipart form = transcriptionForm(request);
                return post("/audio/transcriptions", form.contentType(), "*/*", form.toByteArray());
            }, mediaReader), response -> new ProviderResult(response.body(),
                    response.header("content-type") == null ? "application/octet-stream" : response.header("content-type"), null));
        }
        return exchange(() -> post(endpoint(request.operation()), JSON, JSON, body(request, false)),
                response -> new ProviderResult(response.body(), JSON, usageReader.read(response.body())));
    }

    /**
     * Runs a generation. OpenAI answers images and speech synchronously, so the update is the
     * finished task (with the upstream's request id, if it gave one).
     */
    @Override
    public CompletableFuture<TaskUpdate> submit(TaskRequest request) {
        return switch (request.operation()) {
            case IMAGES -> images(request);
            case SPEECH -> {
                Map<String, Object> payload;
                try {
                    payload = Speech.taskPayload(request);
                } catch (ProviderException e) {
                    yield CompletableFuture.failedFuture(e);
                }
                yield speech(payload, audio -> TaskUpdate.succeeded(audio.requestId(),
                        List.of(TaskOutput.bytes(audio.data(), audio.contentType())), audio.usage()));
            }
            default -> CompletableFuture.failedFuture(new ProviderException(ProviderException.Kind.UPSTREAM_CONFIG, 0,
                    "this provider does not run " + request.operation() + " tasks", null, null));
        };
    }

    private CompletableFuture<TaskUpdate> images(TaskRequest request) {
        if (request.media().isEmpty()) {
            return exchange(() -> post("/images/generations", JSON, JSON, json(images.generationPayload(request))),
                    response -> images.read(response, request));
        }
        // Reading the input files blocks (they may be in object storage): not on the caller's thread.
        return exchange(CompletableFuture.supplyAsync(() -> {
            Multipart form = images.editForm(request);
            return post("/images/edits", form.contentType(), JSON, form.toByteArray());
        }, mediaReader), response -> images.read(response, request));
    }

    private <T> CompletableFuture<T> speech(Map<String, Object> payload, Function<Speech.Audio, T> answer) {
        long characters;
        try {
            characters = Speech.characters(payload);
        } catch (ProviderException e) {
            return CompletableFuture.failedFuture(e);
        }
        return exchange(() -> post("/audio/speech", JSON, "*/*", json(payload)),
                response -> answer.apply(Speech.audio(response, characters, errors)));
    }

    /**
     * A transcription as OpenAI takes it: the client's form fields as they came (a repeated one
     * once per value), the route's model, and the audio. Built in memory: the transport takes a
     * body as bytes, and the audio is bounded by the engine's audio upload limit.
     */
    private static Multipart transcriptionForm(ProviderRequest request) {
        Multipart form = new Multipart().field("model", request.upstreamModel());
        request.payload().forEach((name, value) -> {
            if (!name.equals("model")) {
                for (Object one : value instanceof List<?> list ? list : List.of(value)) {
                    form.field(name, String.valueOf(one));
                }
            }
        });
        request.files().forEach(file -> form.file("file", file));
        return form;
    }

    /** Reads a successful answer; may throw ProviderException, or IOException if it is malformed. */
    @FunctionalInterface
    private interface Reader<T> {
        T read(HttpResponseData response) throws IOException;
    }

    /** Sends a request built now (failing to build it, a ProviderException, fails the call) and reads the answer. */
    private <T> CompletableFuture<T> exchange(Supplier<HttpRequestSpec> request, Reader<T> reader) {
        HttpRequestSpec spec;
        try {
            spec = request.get();
        } catch (ProviderException e) {
            return CompletableFuture.failedFuture(e);
        }
        return UpstreamCalls.exchange(transport, spec, reading(reader), this::refused);
    }

    /** Sends a request being built off this thread once it is ready, and reads the answer. */
    private <T> CompletableFuture<T> exchange(CompletableFuture<HttpRequestSpec> prepared, Reader<T> reader) {
        return UpstreamCalls.exchange(transport, prepared, reading(reader), this::refused);
    }

    /** The reader, with an answer it cannot read (not a ProviderException) said in this provider's words. */
    private <T> Function<HttpResponseData, T> reading(Reader<T> reader) {
        return response -> {
            try {
                return reader.read(response);
            } catch (ProviderException e) {
                throw e;
            } catch (IOException | RuntimeException e) {
                throw errors.malformed(e);
            }
        };
    }

    /** An answer outside 2xx, with the wait it asks for. */
    private ProviderException refused(HttpResponseData response) {
        return errors.forStatus(response.status(), response.body()).withRetryAfter(response.headers());
    }

    @Override
    public Cancellable stream(ProviderRequest request, StreamSink sink) {
        HttpRequestSpec spec;
        try {
            if (request.operation() != Operation.CHAT && request.operation() != Operation.RESPONSES) {
                throw new ProviderException(ProviderException.Kind.INVALID_REQUEST,
                        "only chat completions and responses can be streamed", null);
            }
            spec = new HttpRequestSpec("POST", uri(endpoint(request.operation())),
                    headers(JSON, "text/event-stream"), body(request, true), config.timeout(), streamIdleTimeout);
        } catch (ProviderException e) {
            sink.onError(e);
            return () -> { };
        }
        EventStreamRelay relay = request.operation() == Operation.RESPONSES
                ? new ResponsesStream(sink, mapper, errors)
                : new StreamRelay(sink, mapper, errors);
        relay.attach(transport.stream(spec, relay));
        return relay::cancel;
    }

    @Override
    public CompletableFuture<Boolean> probe() {
        Duration timeout = config.timeout().compareTo(MAX_PROBE_TIMEOUT) < 0 ? config.timeout() : MAX_PROBE_TIMEOUT;
        return transport.send(HttpRequestSpec.get(uri("/models"), headers(JSON, JSON), timeout))
                .handle((response, failure) -> failure == null && response.status() / 100 == 2);
    }

    @Override
    public String toString() {
        return "OpenAiClient[id=" + config.id() + ", baseUrl=" + baseUrl + "]";
    }

    /** The path of a call forwarded as it came. */
    private static String endpoint(Operation operation) {
        return switch (operation) {
            case CHAT -> "/chat/completions";
            case EMBEDDINGS -> "/embeddings";
            case RESPONSES -> "/responses";
            default -> throw new ProviderException(ProviderException.Kind.INVALID_REQUEST,
                    "operation " + operation + " is not offered as a call by this provider", null);
        };
    }

    private HttpRequestSpec post(String path, String contentType, String accept, byte[] body) {
        return new HttpRequestSpec("POST", uri(path), headers(contentType, accept), body,
                config.timeout(), config.timeout());
    }

    /** The upstream's URI of a path, parsed once: every call would otherwise parse it again. */
    private URI uri(String path) {
        return uris.computeIfAbsent(path, p -> URI.create(baseUrl + p));
    }

    /** The headers of a request; a JSON call's are built once (immutable, so the request spec takes them as they are). */
    private Map<String, String> headers(String contentType, String accept) {
        return JSON.equals(contentType) && JSON.equals(accept) ? jsonHeaders : newHeaders(contentType, accept);
    }

    private Map<String, String> newHeaders(String contentType, String accept) {
        Map<String, String> headers = new HashMap<>();
        headers.put("Content-Type", contentType);
        headers.put("Accept", accept);
        // Local servers (Ollama, vLLM without --api-key) take no key.
        if (config.apiKey() != null && !config.apiKey().isBlank()) {
            headers.put("Authorization", "Bearer " + config.apiKey().strip());
        }
        return headers;
    }

    /**
     * The client's payload with the upstream's model name, and usage asked for on chat streams (a
     * Responses stream always reports it in {@code response.completed}). The client's own bytes
     * are sent when they already say what is needed (its {@code stream} flag, no {@code stream_options}
     * to merge or drop), with the usage request appended on a chat stream; otherwise the payload
     * is encoded again with those members set.
     */
    private byte[] body(ProviderRequest request, boolean stream) {
        byte[] asSent = request.body();
        if (asSent != null && !request.payload().containsKey("stream_options") && saysStream(request.payload(), stream)) {
            return stream && request.operation() == Operation.CHAT ? beforeLastBrace(asSent, INCLUDE_USAGE) : asSent;
        }
        Map<String, Object> payload = new LinkedHashMap<>(request.payload());
        payload.put("model", request.upstreamModel());
        if (request.operation() == Operation.RESPONSES) {
            if (stream) {
                payload.put("stream", true);
            } else {
                payload.remove("stream");
                payload.remove("stream_options");
            }
        } else if (stream) {
            Map<String, Object> streamOptions = new LinkedHashMap<>();
            if (payload.get("stream_options") instanceof Map<?, ?> given) {
                given.forEach((key, value) -> streamOptions.put(String.valueOf(key), value));
            }
            streamOptions.put("include_usage", true);
            payload.put("stream", true);
            payload.put("stream_options", streamOptions);
        } else {
            payload.remove("stream");
            payload.remove("stream_options");
        }
        return json(payload);
    }

    /** A member appended to a JSON object (never empty here: it has a model). */
    private static final byte[] INCLUDE_USAGE = ",\"stream_options\":{\"include_usage\":true}".getBytes(StandardCharsets.US_ASCII);

    /** Whether the payload's {@code stream} member is the call's (absent counting as not streamed). */
    private static boolean saysStream(Map<String, Object> payload, boolean stream) {
        return payload.containsKey("stream") ? Boolean.valueOf(stream).equals(payload.get("stream")) : !stream;
    }

    /** {@code member} inserted before the closing brace of the JSON object {@code json}. */
    private static byte[] beforeLastBrace(byte[] json, byte[] member) {
        int end = json.length - 1;
        while (json[end] != '}') {
            end--; // trailing white space
        }
        byte[] out = new byte[json.length + member.length];
        System.arraycopy(json, 0, out, 0, end);
        System.arraycopy(member, 0, out, end, member.length);
        System.arraycopy(json, end, out, end + member.length, json.length - end);
        return out;
    }

    private byte[] json(Map<String, Object> payload) {
        try {
            return mapper.writeValueAsBytes(payload);
        } catch (JsonProcessingException e) {
            throw new ProviderException(ProviderException.Kind.INVALID_REQUEST, "the request could not be encoded as JSON", e);
        }
    }
}
