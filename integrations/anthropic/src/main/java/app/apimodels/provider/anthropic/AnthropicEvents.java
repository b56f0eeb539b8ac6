package app.apimodels.provider.anthropic;

import app.apimodels.json.ByteTokens;
import app.apimodels.spi.provider.EventStreamRelay;
import app.apimodels.spi.provider.ProviderException;
import app.apimodels.spi.provider.StreamSink;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;

/**
 * What every reading of Anthropic's Messages event stream shares, translated or passed through:
 * each event's data parsed; the usage from {@code message_start}, whose fields each
 * {@code message_delta} replaces (its counts are cumulative: replaced, never added); an
 * {@code error} event fails the stream; {@code message_stop} ends it, and a body ending before it
 * is a cut stream. Subclasses see every other event in order, after its usage is taken. The
 * content block deltas (nearly every event of a stream) are read from their bytes
 * ({@link ByteTokens}) when they are plain, the rest as a tree.
 */
abstract class AnthropicEvents extends EventStreamRelay {

    protected final ObjectMapper mapper;
    protected final AnthropicErrors errors;
    /** Anthropic's usage as last reported; message_delta's fields replace message_start's. */
    private ObjectNode usage;
    private boolean stopped;
    /** One reader of deltas for the stream (see {@link ByteTokens#readAgain}). */
    private final ByteTokens tokens = new ByteTokens(new byte[0]);

    AnthropicEvents(StreamSink sink, ObjectMapper mapper, AnthropicErrors errors) {
        super(sink);
        this.mapper = mapper;
        this.errors = errors;
    }

    /**
     * One event of the stream ({@code error} and {@code content_block_delta} excepted), its data as
     * the upstream sent it in {@code buffer[0, length)}, lent for the call (see {@link #onEvent}).
     */
    protected abstract void onMessageEvent(String type, JsonNode event, byte[] buffer, int length);

    /** A {@code content_block_delta} event, its data as {@link #onMessageEvent}'s. */
    protected abstract void onDelta(Delta delta, byte[] buffer, int length);

    /**
     * What a {@code content_block_delta} says: its content block's {@code index}, its delta's
     * {@code type}, and the text that delta adds ({@code text} of a {@code text_delta},
     * {@code thinking} of a {@code thinking_delta}, {@code partial_json} of an {@code input_json_delta};
     * empty for other types: signatures, citations).
     */
    record Delta(int index, String type, String text) {

        /** The delta as the tree of its event reads. */
        static Delta of(JsonNode event) {
            JsonNode delta = event.path("delta");
            String type = delta.path("type").asText();
            String field = textField(type);
            return new Delta(event.path("index").asInt(), type, field == null ? "" : delta.path(field).asText());
        }

        /** The member holding the text a delta of {@code type} adds, null if none. */
        private static String textField(String type) {
            return switch (type) {
                case "text_delta" -> "text";
                case "thinking_delta" -> "thinking";
                case "input_json_delta" -> "partial_json";
                default -> null;
            };
        }

        /**
         * The delta read from the event's bytes as {@link #of} reads its tree (the last of duplicated
         * members, as Jackson keeps), or null if the event is not a content block delta of the plain
         * shape (an index of at most 9 digits, string members) or {@link ByteTokens} is unsure of it:
         * then the tree decides.
         */
        static Delta plain(byte[] data, int length) {
            return ByteTokens.read(data, length, Delta::readPlain);
        }

        private static Delta readPlain(ByteTokens tokens) {
            if (tokens.next() != JsonToken.START_OBJECT) {
                return null;
            }
            boolean isDelta = false;
            int index = 0;
            String type = "";
            String text = null; // of the last delta member: as its type says, one of these three is the text
            String thinking = null;
            String partialJson = null;
            while (tokens.next() == JsonToken.FIELD_NAME) {
                JsonToken value = tokens.next();
                if (tokens.nameIs("type")) {
                    if (value != JsonToken.VALUE_STRING || !tokens.text().equals("content_block_delta")) {
                        return null;
                    }
                    isDelta = true;
                } else if (tokens.nameIs("index")) {
                    if (value != JsonToken.VALUE_NUMBER_INT) {
                        return null;
                    }
                    index = tokens.intValue();
                } else if (tokens.nameIs("delta")) {
                    if (value != JsonToken.START_OBJECT) {
                        return null;
                    }
                    type = "";
                    text = null;
                    thinking = null;
                    partialJson = null;
                    while (tokens.next() == JsonToken.FIELD_NAME) {
                        JsonToken v = tokens.next();
                        boolean known = tokens.nameIs("type") || tokens.nameIs("text") || tokens.nameIs("thinking")
                                || tokens.nameIs("partial_json");
                        if (!known) {
                            tokens.skipChildren();
                            continue;
                        }
                        if (v != JsonToken.VALUE_STRING) {
                            return null;
                        }
                        String s = tokens.text();
                        if (tokens.nameIs("type")) {
                            type = s;
                        } else if (tokens.nameIs("text")) {
                            text = s;
                        } else if (tokens.nameIs("thinking")) {
                            thinking = s;
                        } else {
                            partialJson = s;
                        }
                    }
                } else {
                    tokens.skipChildren();
                }
            }
            if (!isDelta) {
                return null;
            }
            String added = switch (type) {
                case "text_delta" -> text;
                case "thinking_delta" -> thinking;
                case "input_json_delta" -> partialJson;
                default -> null;
            };
            return new Delta(index, type, added == null ? "" : added);
        }
    }

    @Override
    protected final boolean finished() {
        return stopped;
    }

    @Override
    protected final ProviderException errorFor(int status, byte[] body) {
        return errors.forStatus(status, body);
    }

    @Override
    protected final void onEvent(byte[] buffer, int length) {
        Delta plain = tokens.readAgain(buffer, length, Delta::readPlain);
        if (plain != null) {
            onDelta(plain, buffer, length);
            return;
        }
        JsonNode event;
        try {
            event = mapper.readTree(buffer, 0, length);
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
            case "content_block_delta" -> {
                onDelta(Delta.of(event), buffer, length);
                return;
            }
            default -> { }
        }
        onMessageEvent(type, event, buffer, length);
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
