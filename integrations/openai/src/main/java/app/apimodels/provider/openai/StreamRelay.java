package app.apimodels.provider.openai;

import app.apimodels.json.ByteTokens;
import app.apimodels.json.JsonTokens;
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
    /** One reader of chunks for the stream (see {@link ByteTokens#readAgain}). */
    private final ByteTokens tokens = new ByteTokens(DONE);

    StreamRelay(StreamSink sink, ObjectMapper mapper, UpstreamErrors errors) {
        super(sink, mapper, errors);
    }

    /** Some OpenAI-compatible servers end the body after the last choice without [DONE]. */
    @Override
    protected boolean finished() {
        return finishReasonSeen;
    }

    /** The chunk is read where the parser lends it, and copied only to be passed on. */
    @Override
    protected void onEvent(byte[] buffer, int length) {
        if (Arrays.equals(buffer, 0, length, DONE, 0, DONE.length)) {
            complete();
            return;
        }
        Chunk chunk;
        try {
            chunk = read(buffer, length);
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
        deliver(new StreamChunk(Arrays.copyOf(buffer, length), chunk.text));
        if (chunk.usage != null) {
            // Kept, not passed on at once: the sink takes one usage, and servers that report
            // usage on every chunk (vLLM's continuous_usage_stats) send running totals.
            usage(chunk.usage);
        }
    }

    /**
     * The chunk read from its bytes; with Jackson when it is not plain JSON of the usual shape (it
     * has usage or an error, or something is malformed), which then decides.
     */
    private Chunk read(byte[] data, int length) throws IOException {
        try {
            return chunk(tokens.reset(data, length));
        } catch (RuntimeException unsure) {
            if (unsure != ByteTokens.UNSURE) {
                throw unsure;
            }
        }
        try (JsonParser parser = parser(data, length)) {
            return chunk(JsonTokens.of(parser));
        }
    }

    /** What a chunk says: read as it streams past, not built into a tree (a stream has hundreds of chunks). */
    static final class Chunk {
        JsonNode error;
        String text = "";
        boolean finished;
        Usage usage;

        void append(String more) {
            text = text.isEmpty() ? more : text + more;
        }
    }

    /**
     * Reads a chunk from its first token to its end (null if it is not an object): from its bytes
     * for the usual chunk, with Jackson when {@link ByteTokens} is unsure.
     */
    static Chunk chunk(JsonTokens tokens) throws IOException {
        if (tokens.next() != JsonToken.START_OBJECT) {
            return null;
        }
        Chunk chunk = new Chunk();
        while (tokens.next() == JsonToken.FIELD_NAME) {
            JsonToken value = tokens.next();
            if (tokens.nameIs("error") && value != JsonToken.VALUE_NULL) {
                chunk.error = tokens.tree();
            } else if (tokens.nameIs("choices") && value == JsonToken.START_ARRAY) {
                for (JsonToken first = tokens.next(); first != JsonToken.END_ARRAY; first = tokens.next()) {
                    choice(tokens, first, chunk);
                }
            } else if (tokens.nameIs("usage") && value == JsonToken.START_OBJECT) {
                chunk.usage = UsageReader.usage(tokens.tree()); // once a stream: read exactly, with Jackson
            } else {
                tokens.skipChildren();
            }
        }
        return chunk;
    }

    /** One choice (on its {@code first} token): its delta's text, reasoning first, and whether it finished. */
    private static void choice(JsonTokens tokens, JsonToken first, Chunk chunk) throws IOException {
        if (first != JsonToken.START_OBJECT) {
            tokens.skipChildren();
            return;
        }
        String reasoning = null;
        String content = null;
        while (tokens.next() == JsonToken.FIELD_NAME) {
            JsonToken value = tokens.next();
            if (tokens.nameIs("delta") && value == JsonToken.START_OBJECT) {
                while (tokens.next() == JsonToken.FIELD_NAME) {
                    JsonToken v = tokens.next();
                    if (v == JsonToken.VALUE_STRING && tokens.nameIs("content")) {
                        content = tokens.text();
                    } else if (v == JsonToken.VALUE_STRING && tokens.nameIs("reasoning_content")) {
                        reasoning = tokens.text();
                    } else {
                        tokens.skipChildren();
                    }
                }
            } else if (tokens.nameIs("finish_reason")) {
                chunk.finished |= value != JsonToken.VALUE_NULL;
                tokens.skipChildren();
            } else {
                tokens.skipChildren();
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
