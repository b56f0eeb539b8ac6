package app.apimodels.provider.openai;

import app.apimodels.spi.provider.EventStreamRelay;
import app.apimodels.spi.provider.ProviderException;
import app.apimodels.spi.provider.StreamSink;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;

/** What OpenAI's two event streams (chat chunks, Responses events) share: JSON events and OpenAI's error answers. */
abstract class JsonEventStream extends EventStreamRelay {

    protected final UpstreamErrors errors;
    private final ObjectMapper mapper;

    JsonEventStream(StreamSink sink, ObjectMapper mapper, UpstreamErrors errors) {
        super(sink);
        this.mapper = mapper;
        this.errors = errors;
    }

    @Override
    protected ProviderException errorFor(int status, byte[] body) {
        return errors.forStatus(status, body);
    }

    /** A parser over an event's data, {@code data[0, length)} (to read it without building a tree). */
    protected final JsonParser parser(byte[] data, int length) throws IOException {
        return mapper.createParser(data, 0, length);
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
