package app.apimodels.provider.openai;

import app.apimodels.spi.provider.StreamChunk;
import app.apimodels.spi.provider.StreamSink;
import app.apimodels.spi.provider.Usage;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
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
        Chunk chunk;
        try (JsonParser parser = parser(data)) {
            chunk = parser.nextToken() == JsonToken.START_OBJECT ? chunk(parser) : null;
        } catch (IOException e) {
            failAndStop(errors.malformed(e));
            return;
        }
        if (chunk == null) {
            failAndStop(errors.malformed(null));
            return;
        }
        if (chunk.error != null) {
            failAndStop(errors.forStreamError(chunk.error));
            return;
        }
        finishReasonSeen |= chunk.finished;
        deliver(new StreamChunk(data, chunk.text));
        if (chunk.usage != null) {
            // Kept, not passed on at once: the sink takes one usage, and servers that report
            // usage on every chunk (vLLM's continuous_usage_stats) send running totals.
            usage(chunk.usage);
        }
    }

    /** What a chunk says: read as it streams past, not built into a tree (a stream has hundreds of chunks). */
    private static final class Chunk {
        JsonNode error;
        String text = "";
        boolean finished;
        Usage usage;

        void append(String more) {
            text = text.isEmpty() ? more : text + more;
        }
    }

    /** Reads a chunk whose START_OBJECT is the parser's current token, to its end. */
    private static Chunk chunk(JsonParser parser) throws IOException {
        Chunk chunk = new Chunk();
        while (parser.nextToken() == JsonToken.FIELD_NAME) {
            String name = parser.currentName();
            JsonToken value = parser.nextToken();
            if (name.equals("error") && value != JsonToken.VALUE_NULL) {
                chunk.error = parser.readValueAsTree();
            } else if (name.equals("choices") && value == JsonToken.START_ARRAY) {
                while (parser.nextToken() != JsonToken.END_ARRAY) {
                    choice(parser, chunk);
                }
            } else if (name.equals("usage") && value == JsonToken.START_OBJECT) {
                chunk.usage = UsageReader.usage(parser);
            } else {
                parser.skipChildren();
            }
        }
        return chunk;
    }

    /** One choice (the parser on its first token): its delta's text, reasoning first, and whether it finished. */
    private static void choice(JsonParser parser, Chunk chunk) throws IOException {
        if (parser.currentToken() != JsonToken.START_OBJECT) {
            parser.skipChildren();
            return;
        }
        String reasoning = null;
        String content = null;
        while (parser.nextToken() == JsonToken.FIELD_NAME) {
            String name = parser.currentName();
            JsonToken value = parser.nextToken();
            if (name.equals("delta") && value == JsonToken.START_OBJECT) {
                while (parser.nextToken() == JsonToken.FIELD_NAME) {
                    String field = parser.currentName();
                    JsonToken v = parser.nextToken();
                    if (v == JsonToken.VALUE_STRING && field.equals("content")) {
                        content = parser.getText();
                    } else if (v == JsonToken.VALUE_STRING && field.equals("reasoning_content")) {
                        reasoning = parser.getText();
                    } else {
                        parser.skipChildren();
                    }
                }
            } else if (name.equals("finish_reason")) {
                chunk.finished |= value != JsonToken.VALUE_NULL;
                parser.skipChildren();
            } else {
                parser.skipChildren();
            }
        }
        if (reasoning != null) {
            chunk.append(reasoning);
        }
        if (content != null) {
            chunk.append(content);
        }
    }
}
