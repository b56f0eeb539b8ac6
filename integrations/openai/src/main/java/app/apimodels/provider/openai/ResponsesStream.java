package app.apimodels.provider.openai;

import app.apimodels.json.ByteTokens;
import app.apimodels.spi.provider.StreamChunk;
import app.apimodels.spi.provider.StreamSink;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.util.Arrays;
import java.util.Set;

/**
 * Relays a Responses API event stream as it came, each event named by its {@code type}. The text
 * deltas are counted (for a stream cut before its end), and the usage is read from the terminal
 * event's response: {@code response.completed}, {@code response.incomplete} (output cap reached) or
 * {@code response.failed}, each the last event of the stream. An {@code error} event ends it as a
 * failure. The events in between (all but the first and last few) are read from their bytes
 * ({@link ByteTokens}), the rest as a tree.
 */
final class ResponsesStream extends JsonEventStream {

    private static final Set<String> TERMINAL = Set.of("response.completed", "response.incomplete", "response.failed");
    /** Events whose {@code delta} is text the model produced. */
    private static final Set<String> TEXT_DELTAS = Set.of("response.output_text.delta", "response.refusal.delta",
            "response.reasoning_summary_text.delta", "response.function_call_arguments.delta");

    private boolean terminalSeen;
    /** One reader of events for the stream (see {@link ByteTokens#readAgain}). */
    private final ByteTokens tokens = new ByteTokens(new byte[0]);

    ResponsesStream(StreamSink sink, ObjectMapper mapper, UpstreamErrors errors) {
        super(sink, mapper, errors);
    }

    @Override
    protected boolean finished() {
        return terminalSeen;
    }

    /** Passed on as it came: each event is copied out of the parser's buffer once. */
    @Override
    protected void onEvent(byte[] buffer, int length) {
        byte[] data = Arrays.copyOf(buffer, length);
        Plain plain = tokens.readAgain(data, length, ResponsesStream::readPlain);
        if (plain != null) {
            deliver(new StreamChunk(data, plain.text(), plain.type()));
            return;
        }
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
        String text = text(type, event);
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

    /** The text an event of {@code type} adds: a text delta's {@code delta}. */
    static String text(String type, JsonNode event) {
        JsonNode delta = event.get("delta");
        return TEXT_DELTAS.contains(type) && delta != null && delta.isTextual() ? delta.asText() : "";
    }

    /** An event read from its bytes: its type and the text it adds. */
    record Plain(String type, String text) {
    }

    /**
     * Reads an event that neither ends the stream nor reports an error from its bytes, as the tree
     * reading would: its {@code type} and, for a text delta, its {@code delta} (the last of
     * duplicated members, as Jackson keeps). Null for any other event and for anything
     * {@link ByteTokens} is unsure of (then the tree reading decides).
     */
    static Plain plain(byte[] data) {
        return ByteTokens.read(data, data.length, ResponsesStream::readPlain);
    }

    private static Plain readPlain(ByteTokens tokens) {
        if (tokens.next() != JsonToken.START_OBJECT) {
            return null;
        }
        String type = null;
        String delta = null;
        while (tokens.next() == JsonToken.FIELD_NAME) {
            JsonToken value = tokens.next();
            if (tokens.nameIs("type")) {
                type = value == JsonToken.VALUE_STRING ? tokens.text() : null;
            } else if (tokens.nameIs("delta")) {
                delta = value == JsonToken.VALUE_STRING ? tokens.text() : null;
            } else {
                tokens.skipChildren();
            }
        }
        if (type == null || type.equals("error") || TERMINAL.contains(type)) {
            return null;
        }
        return new Plain(type, TEXT_DELTAS.contains(type) && delta != null ? delta : "");
    }
}
