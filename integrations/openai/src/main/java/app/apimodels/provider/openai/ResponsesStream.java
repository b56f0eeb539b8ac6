package app.apimodels.provider.openai;

import app.apimodels.spi.provider.StreamChunk;
import app.apimodels.spi.provider.StreamSink;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.util.Set;

/**
 * Relays a Responses API event stream as it came, each event named by its {@code type}. The text
 * deltas are counted (for a stream cut before its end), and the usage is read from the terminal
 * event's response: {@code response.completed}, {@code response.incomplete} (output cap reached) or
 * {@code response.failed}, each the last event of the stream. An {@code error} event ends it as a
 * failure.
 */
final class ResponsesStream extends JsonEventStream {

    private static final Set<String> TERMINAL = Set.of("response.completed", "response.incomplete", "response.failed");
    /** Events whose {@code delta} is text the model produced. */
    private static final Set<String> TEXT_DELTAS = Set.of("response.output_text.delta", "response.refusal.delta",
            "response.reasoning_summary_text.delta", "response.function_call_arguments.delta");

    private boolean terminalSeen;

    ResponsesStream(StreamSink sink, ObjectMapper mapper, UpstreamErrors errors) {
        super(sink, mapper, errors);
    }

    @Override
    protected boolean finished() {
        return terminalSeen;
    }

    @Override
    protected void onEvent(byte[] data) {
        JsonNode event = object(data);
        if (event == null) {
            return;
        }
        if (!event.path("type").isTextual()) {
            failAndStop(errors.malformed(null));
            return;
        }
        String type = event.get("type").asText();
        if (type.equals("error")) {
            failAndStop(errors.forStreamError(event));
            return;
        }
        JsonNode delta = event.get("delta");
        String text = TEXT_DELTAS.contains(type) && delta != null && delta.isTextual() ? delta.asText() : "";
        if (TERMINAL.contains(type)) {
            JsonNode reported = event.path("response").get("usage");
            if (reported != null && reported.isObject()) {
                usage(UsageReader.usage(reported));
            }
        }
        deliver(new StreamChunk(data, text, type));
        if (TERMINAL.contains(type)) {
            terminalSeen = true;
            complete();
        }
    }
}
