package app.apimodels.provider.openai;

import app.apimodels.spi.provider.EventStreamRelay;
import app.apimodels.spi.provider.ProviderException;
import app.apimodels.spi.provider.StreamSink;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.util.Arrays;

/** What OpenAI's two event streams (chat chunks, Responses events) share: JSON events and OpenAI's error answers. */
abstract class JsonEventStream extends EventStreamRelay {

    protected final UpstreamErrors errors;
    private final ObjectMapper mapper;

    JsonEventStream(StreamSink sink, ObjectMapper mapper, UpstreamErrors errors) {
        super(sink);
        this.mapper = mapper;
        this.errors = errors;
    }

    /** Both streams pass their events on: each is copied out of the parser's buffer once, here. */
    @Override
    protected final void onEvent(byte[] buffer, int length) {
        onEvent(Arrays.copyOf(buffer, length));
    }

    /** One event's data, the stream's own copy. */
    protected abstract void onEvent(byte[] data);

    @Override
    protected ProviderException errorFor(int status, byte[] body) {
        return errors.forStatus(status, body);
    }

    /** A parser over an event's data (to read it without building a tree). */
    protected final JsonParser parser(byte[] data) throws IOException {
        return mapper.createParser(data);
    }

    /** The event as a JSON object, or null after ending the stream as malformed. */
    protected final JsonNode object(byte[] data) {
        JsonNode event;
        try {
            event = mapper.readTree(data);
        } catch (IOException e) {
            failAndStop(errors.malformed(e));
            return null;
        }
        if (!event.isObject()) {
            failAndStop(errors.malformed(null));
            return null;
        }
        return event;
    }
}
