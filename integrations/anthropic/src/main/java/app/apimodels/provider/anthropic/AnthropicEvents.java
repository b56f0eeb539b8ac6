package app.apimodels.provider.anthropic;

import app.apimodels.spi.provider.EventStreamRelay;
import app.apimodels.spi.provider.ProviderException;
import app.apimodels.spi.provider.StreamSink;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;

/**
 * What every reading of Anthropic's Messages event stream shares, translated or passed through:
 * each event's data parsed; the usage from {@code message_start}, whose fields each
 * {@code message_delta} replaces (its counts are cumulative: replaced, never added); an
 * {@code error} event fails the stream; {@code message_stop} ends it, and a body ending before it
 * is a cut stream. Subclasses see every other event in order, after its usage is taken.
 */
abstract class AnthropicEvents extends EventStreamRelay {

    protected final ObjectMapper mapper;
    protected final AnthropicErrors errors;
    /** Anthropic's usage as last reported; message_delta's fields replace message_start's. */
    private ObjectNode usage;
    private boolean stopped;

    AnthropicEvents(StreamSink sink, ObjectMapper mapper, AnthropicErrors errors) {
        super(sink);
        this.mapper = mapper;
        this.errors = errors;
    }

    /** One event of the stream ({@code error} excepted), {@code data} as the upstream sent it. */
    protected abstract void onMessageEvent(String type, JsonNode event, byte[] data);

    @Override
    protected final boolean finished() {
        return stopped;
    }

    @Override
    protected final ProviderException errorFor(int status, byte[] body) {
        return errors.forStatus(status, body);
    }

    @Override
    protected final void onEvent(byte[] data) {
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
        String type = event.path("type").asText();
        switch (type) {
            case "message_start" -> {
                if (event.path("message").path("usage").isObject()) {
                    usage = event.path("message").path("usage").deepCopy();
                    usage(ChatCompletion.usage(usage));
                }
            }
            case "message_delta" -> {
                if (event.path("usage").isObject()) {
                    if (usage == null) {
                        usage = mapper.createObjectNode();
                    }
                    usage.setAll((ObjectNode) event.path("usage")); // cumulative: replaces, never adds
                    usage(ChatCompletion.usage(usage));
                }
            }
            case "error" -> {
                failAndStop(errors.forStreamError(event.path("error")));
                return;
            }
            default -> { }
        }
        onMessageEvent(type, event, data);
        if ("message_stop".equals(type)) {
            stopped = true;
            complete();
        }
    }

    /** The usage reported so far (null if none), in Anthropic's words. */
    protected final ObjectNode reportedUsage() {
        return usage;
    }
}
