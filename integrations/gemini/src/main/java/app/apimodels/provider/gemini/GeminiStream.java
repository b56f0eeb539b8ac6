package app.apimodels.provider.gemini;

import app.apimodels.spi.provider.EventStreamRelay;
import app.apimodels.spi.provider.ProviderException;
import app.apimodels.spi.provider.StreamChunk;
import app.apimodels.spi.provider.StreamSink;
import app.apimodels.spi.provider.Usage;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;

/**
 * Relays {@code streamGenerateContent?alt=sse}: every event is a whole
 * {@code GenerateContentResponse}, passed on as an OpenAI chunk. Gemini sends no end marker: the
 * stream is finished once an event carried a {@code finishReason} (or the prompt was blocked) and
 * the body ended. {@code usageMetadata} is a running total, so the last one seen is the usage.
 */
final class GeminiStream extends EventStreamRelay {

    private final ObjectMapper mapper;
    private final GeminiErrors errors;
    private final Answers answers;
    private final String model;
    private final long created;
    private String id;
    private int toolCalls;
    private boolean finished;

    GeminiStream(StreamSink sink, ObjectMapper mapper, GeminiErrors errors, String model, long created) {
        super(sink);
        this.mapper = mapper;
        this.errors = errors;
        this.answers = new Answers(mapper);
        this.model = model;
        this.created = created;
    }

    @Override
    protected ProviderException errorFor(int status, byte[] body) {
        return errors.forStatus(status, body);
    }

    @Override
    protected boolean finished() {
        return finished;
    }

    @Override
    protected void onEvent(byte[] data) {
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
            usage(reported); // cumulative: the latest replaces, never adds
        }
        deliver(new StreamChunk(chunk, turn.text()));
    }
}
