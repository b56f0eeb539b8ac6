package com.example.ollama;

import app.apimodels.spi.http.Cancellable;
import app.apimodels.spi.http.HttpBodyHandler;
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
 * Turns Ollama's streamed {@code /api/chat} answer — one JSON object per line
 * ({@code application/x-ndjson}), the last with {@code "done": true} and the token counts — into
 * OpenAI chunks for the {@link StreamSink}. The transport calls it one callback at a time, so only
 * {@link #cancel()} crosses threads.
 */
final class NdjsonRelay implements HttpBodyHandler {

    /** Enough of an error answer to find its message; the rest is dropped. */
    private static final int MAX_ERROR_BODY = 64 * 1024;

    private final StreamSink sink;
    private final ObjectMapper mapper;
    private final OllamaWire wire;
    private final OllamaErrors errors;
    private final String id;
    private final String model;
    private final boolean usageChunkAsked;
    private final ByteArrayOutputStream line = new ByteArrayOutputStream();
    private volatile Cancellable upstream;
    /** Set once the sink got its last call or the caller cancelled: nothing more is delivered. */
    private volatile boolean ended;
    private volatile boolean stopUpstream;
    private int status;
    private ByteArrayOutputStream errorBody;
    private boolean first = true;

    NdjsonRelay(StreamSink sink, ObjectMapper mapper, OllamaWire wire, OllamaErrors errors, String id, String model,
                boolean usageChunkAsked) {
        this.sink = sink;
        this.mapper = mapper;
        this.wire = wire;
        this.errors = errors;
        this.id = id;
        this.model = model;
        this.usageChunkAsked = usageChunkAsked;
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
        stop();
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
        if (errorBody != null) {
            byte[] bytes = new byte[Math.min(MAX_ERROR_BODY - errorBody.size(), data.remaining())];
            data.get(bytes);
            errorBody.write(bytes, 0, bytes.length);
            return;
        }
        while (data.hasRemaining() && !ended) {
            byte b = data.get();
            if (b == '\n') {
                onLine(line.toByteArray());
                line.reset();
            } else {
                line.write(b);
            }
        }
    }

    @Override
    public void onComplete() {
        if (ended) {
            return;
        }
        if (errorBody != null) {
            fail(errors.forStatus(status, errorBody.toByteArray()));
            return;
        }
        if (line.size() > 0) {
            onLine(line.toByteArray()); // a last line without its newline
        }
        if (!ended) {
            fail(errors.cut());
        }
    }

    @Override
    public void onError(Throwable error) {
        if (!ended) {
            fail(errors.forTransport(error));
        }
    }

    private void onLine(byte[] bytes) {
        if (bytes.length == 0 || ended) {
            return;
        }
        JsonNode json;
        try {
            json = mapper.readTree(bytes);
        } catch (IOException e) {
            failAndStop(errors.malformed(e));
            return;
        }
        if (json == null || !json.isObject()) {
            failAndStop(errors.malformed(null));
            return;
        }
        if (json.hasNonNull("error")) {
            failAndStop(errors.midStream(json.get("error")));
            return;
        }
        String text = json.path("message").path("thinking").asText("") + json.path("message").path("content").asText("");
        if (!text.isEmpty() || first) {
            sink.onChunk(new StreamChunk(wire.deltaChunk(json, id, model, first), text));
            first = false;
        }
        if (json.path("done").asBoolean(false) && !ended) { // the sink may have cancelled from onChunk
            finish(json);
        }
    }

    private void finish(JsonNode done) {
        ended = true;
        sink.onChunk(new StreamChunk(wire.finishChunk(done, id, model), ""));
        Usage usage = OllamaWire.usage(done);
        if (usage != null) {
            if (usageChunkAsked) {
                sink.onChunk(new StreamChunk(wire.usageChunk(done, id, model, usage), ""));
            }
            sink.onUsage(usage);
        }
        sink.onComplete();
    }

    private void fail(ProviderException error) {
        ended = true;
        sink.onError(error);
    }

    private void failAndStop(ProviderException error) {
        fail(error);
        stop();
    }

    private void stop() {
        stopUpstream = true;
        Cancellable exchange = upstream;
        if (exchange != null) {
            exchange.cancel();
        }
    }
}
