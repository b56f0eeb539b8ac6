package app.apimodels.provider.anthropic;

import app.apimodels.spi.provider.StreamChunk;
import app.apimodels.spi.provider.StreamSink;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.util.Arrays;

/**
 * Anthropic's Messages event stream passed through for its own SDKs: every event (pings
 * included) handed on as the upstream sent it, under its name; the generated text of each delta
 * (text, thinking, tool input) is counted for when no usage comes.
 */
final class MessagesEvents extends AnthropicEvents {

    MessagesEvents(StreamSink sink, ObjectMapper mapper, AnthropicErrors errors) {
        super(sink, mapper, errors);
    }

    @Override
    protected void onMessageEvent(String type, JsonNode event, byte[] buffer, int length) {
        deliver(new StreamChunk(Arrays.copyOf(buffer, length), "", type));
    }

    @Override
    protected void onDelta(Delta delta, byte[] buffer, int length) {
        deliver(new StreamChunk(Arrays.copyOf(buffer, length), delta.text(), "content_block_delta"));
    }
}
