package app.apimodels.provider.gemini;

import app.apimodels.spi.http.Cancellable;
import app.apimodels.spi.http.HttpBodyHandler;
import app.apimodels.spi.http.SseParser;
import app.apimodels.spi.provider.ProviderException;
import app.apimodels.spi.provider.StreamChunk;
import app.apimodels.spi.provider.StreamSink;
import app.apimodels.spi.provider.Usage;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Map;

/**
 * Relays {@code streamGenerateContent?alt=sse}: every event is a whole
 * {@code GenerateContentResponse}, passed on as an OpenAI chunk. Gemini sends no end marker: the
 * stream is finished once an event carried a {@code finishReason} (or the prompt was blocked) and
 * the body ended. {@code usageMetadata} is a running total, so the last one seen is the usage.
 * The transport calls it one callback at a time; only {@link #cancel()} crosses threads.
 */
final class GeminiStream implements HttpBodyHandler {

    /** Enough of an error answer to find its message; the rest is dropped. */
    private static final int MAX_ERROR_BODY = 64 * 1024;

    private final StreamSink sink;
    private final ObjectMapper mapper;
    private final GeminiErrors errors;
    private final Answers answers;
    private final String model;
    private final long created;
    private final SseParser parser = new SseParser(this::onEvent);
    private volatile Cancellable upstream;
    private volatile boolean ended;
    private volatile boolean stopUpstream;
    private int status;
    private ByteArrayOutputStream errorBody;
    private String id;
    private int toolCalls;
    private boolean finished;
    private Usage usage;

    GeminiStream(StreamSink sink, ObjectMapper mapper, GeminiErrors errors, String model, long created) {
        this.sink = sink;
        this.mapper = mapper;
        this.errors = errors;
        this.answers = new Answers(mapper);
        this.model = model;
        this.created = created;
    }

    void attach(Cancellable exchange) {
        upstream = exchange;
        if (stopUpstream) {
            exchange.cancel();
        }
    }

    void cancel() {
        ended = true;
        stopUpstreamExchange();
    }

    @Override
    public void onHead(int status, Map<String, String> headers) {
        this.status = status;
        if (status / 100 != 2) {
            errorBody = new ByteArrayOutputStream();
        }
    }

    @Override
    public void onData(ByteBuffer data) {
        if (ended) {
            return;
        }
        if (errorBody == null) {
            parser.feed(data);
        } else {
            byte[] bytes = new byte[Math.min(MAX_ERROR_BODY - errorBody.size(), data.remaining())];
            data.get(bytes);
            errorBody.write(bytes, 0, bytes.length);
        }
    }

    @Override
    public void onComplete() {
        if (ended) {
            return;
        }
        if (errorBody != null) {
            fail(errors.forStatus(status, errorBody.toByteArray()));
        } else if (finished) {
            ended = true;
            if (usage != null) {
                sink.onUsage(usage);
            }
            sink.onComplete();
        } else {
            fail(errors.cut());
        }
    }

    @Override
    public void onError(Throwable error) {
        if (!ended) {
            fail(ProviderException.fromTransport(error));
        }
    }

    private void onEvent(byte[] data) {
        if (ended || data.length == 0) {
            return;
        }
        JsonNode event;
        try {
            event = mapper.readTree(data);
        } catch (IOException e) {
            failAndStop(errors.malformed(e));
            return;
        }
        if (event == null || !event.isObject()) {
            failAndStop(errors.malformed(null));
            return;
        }
        JsonNode error = event.get("error");
        if (error != null && error.isObject()) {
            failAndStop(errors.forStreamError(error));
            return;
        }
        boolean first = id == null;
        if (first) {
            id = Answers.id(event);
        }
        Answers.Turn turn = answers.turn(event, toolCalls);
        byte[] chunk;
        try {
            chunk = mapper.writeValueAsBytes(answers.chunk(event, turn, id, model, created, first));
        } catch (IOException e) {
            failAndStop(errors.malformed(e));
            return;
        }
        toolCalls += turn.toolCalls().size();
        finished |= turn.finishReason() != null;
        Usage reported = Answers.usage(event);
        if (reported != null) {
            usage = reported; // cumulative: the latest replaces, never adds
        }
        sink.onChunk(new StreamChunk(chunk, turn.text()));
    }

    private void fail(ProviderException error) {
        ended = true;
        if (usage != null) {
            sink.onUsage(usage);
        }
        sink.onError(error);
    }

    private void failAndStop(ProviderException error) {
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
