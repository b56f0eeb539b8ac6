package app.apimodels.provider.openai;

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
import java.util.Arrays;
import java.util.Map;

/**
 * Turns an upstream's chat-completion event stream into {@link StreamSink} calls. The transport
 * calls it one callback at a time, so only {@link #cancel()} crosses threads.
 */
final class StreamRelay implements HttpBodyHandler {

    private static final byte[] DONE = {'[', 'D', 'O', 'N', 'E', ']'};
    /** Enough of an error answer to find its message; the rest is dropped. */
    private static final int MAX_ERROR_BODY = 64 * 1024;

    private final StreamSink sink;
    private final ObjectMapper mapper;
    private final UpstreamErrors errors;
    private final SseParser parser = new SseParser(this::onEvent);
    private volatile Cancellable upstream;
    /** Set once the sink got its last call or the caller cancelled: nothing more is delivered. */
    private volatile boolean ended;
    /** Set when the upstream exchange should stop early (cancelled, or a bad event). */
    private volatile boolean stopUpstream;
    private int status;
    private ByteArrayOutputStream errorBody;
    private boolean finishReasonSeen;
    private Usage usage;

    StreamRelay(StreamSink sink, ObjectMapper mapper, UpstreamErrors errors) {
        this.sink = sink;
        this.mapper = mapper;
        this.errors = errors;
    }

    /** The upstream exchange, known once the transport returned it (callbacks may come first). */
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
            int room = MAX_ERROR_BODY - errorBody.size();
            byte[] bytes = new byte[Math.min(room, data.remaining())];
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
        } else if (finishReasonSeen) {
            // Some OpenAI-compatible servers end the body after the last choice without [DONE].
            complete();
        } else {
            fail(errors.cut());
        }
    }

    @Override
    public void onError(Throwable error) {
        if (!ended) {
            fail(errors.forTransport(error));
        }
    }

    private void onEvent(byte[] data) {
        if (ended || data.length == 0) {
            return; // an empty event is a keep-alive: nothing to pass on
        }
        if (Arrays.equals(data, DONE)) {
            complete();
            return;
        }
        JsonNode event;
        try {
            event = mapper.readTree(data);
        } catch (IOException e) {
            failAndStop(errors.malformed(e));
            return;
        }
        if (!event.isObject()) {
            failAndStop(errors.malformed(null));
            return;
        }
        JsonNode error = event.get("error");
        if (error != null && !error.isNull()) {
            failAndStop(errors.forStreamError(error));
            return;
        }
        StringBuilder text = new StringBuilder();
        for (JsonNode choice : event.path("choices")) {
            JsonNode delta = choice.path("delta");
            appendText(text, delta.get("reasoning_content"));
            appendText(text, delta.get("content"));
            JsonNode finishReason = choice.get("finish_reason");
            finishReasonSeen |= finishReason != null && !finishReason.isNull();
        }
        sink.onChunk(new StreamChunk(data, text.toString()));
        JsonNode reported = event.get("usage");
        if (reported != null && reported.isObject()) {
            // Kept, not passed on at once: the sink takes one usage, and servers that report
            // usage on every chunk (vLLM's continuous_usage_stats) send running totals.
            usage = UsageReader.usage(reported);
        }
    }

    private static void appendText(StringBuilder text, JsonNode value) {
        if (value != null && value.isTextual()) {
            text.append(value.asText());
        }
    }

    private void complete() {
        ended = true;
        if (usage != null) {
            sink.onUsage(usage);
        }
        sink.onComplete();
    }

    /** Ends with an error; usage already reported still counts, so it is passed on first. */
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
