package app.apimodels.provider.openai;

import app.apimodels.spi.provider.StreamChunk;
import app.apimodels.spi.provider.StreamSink;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.util.Arrays;

/** Turns an upstream's chat-completion event stream into {@link StreamSink} calls. */
final class StreamRelay extends JsonEventStream {

    private static final byte[] DONE = {'[', 'D', 'O', 'N', 'E', ']'};

    private boolean finishReasonSeen;

    StreamRelay(StreamSink sink, ObjectMapper mapper, UpstreamErrors errors) {
        super(sink, mapper, errors);
    }

    /** Some OpenAI-compatible servers end the body after the last choice without [DONE]. */
    @Override
    protected boolean finished() {
        return finishReasonSeen;
    }

    @Override
    protected void onEvent(byte[] data) {
        if (Arrays.equals(data, DONE)) {
            complete();
            return;
        }
        JsonNode event = object(data);
        if (event == null) {
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
        deliver(new StreamChunk(data, text.toString()));
        JsonNode reported = event.get("usage");
        if (reported != null && reported.isObject()) {
            // Kept, not passed on at once: the sink takes one usage, and servers that report
            // usage on every chunk (vLLM's continuous_usage_stats) send running totals.
            usage(UsageReader.usage(reported));
        }
    }

    private static void appendText(StringBuilder text, JsonNode value) {
        if (value != null && value.isTextual()) {
            text.append(value.asText());
        }
    }
}
