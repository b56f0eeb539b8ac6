package app.apimodels.provider.openai;

import app.apimodels.json.ByteTokens;
import app.apimodels.json.JsonTokens;
import app.apimodels.spi.provider.Usage;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;

/** Reads OpenAI's {@code usage} objects. */
final class UsageReader {

    /** What {@link #fromBytes} says of a body without usage (null says: read it with Jackson). */
    private static final Usage ABSENT = new Usage(0, 0, 0, 0, 0, 0);

    private final ObjectMapper mapper;

    UsageReader(ObjectMapper mapper) {
        this.mapper = mapper;
    }

    /**
     * The top-level {@code usage} of a response body, or {@code null} if it has none. Streams
     * over the body and skips everything else, so a large answer (embeddings) is never built
     * into a tree. Read from the bytes first ({@link ByteTokens}: no parser object per answer, and
     * this runs on every call); a body they are unsure of (malformed, an escaped name, a count that
     * is not a small integer) is read with Jackson, which then decides.
     *
     * @throws IOException if the body is not a JSON object
     */
    Usage read(byte[] body) throws IOException {
        Usage usage = ByteTokens.read(body, body.length, UsageReader::fromBytes);
        if (usage != null) {
            return usage == ABSENT ? null : usage;
        }
        try (JsonParser parser = mapper.createParser(body)) {
            if (parser.nextToken() != JsonToken.START_OBJECT) {
                throw new IOException("not a JSON object");
            }
            while (parser.nextToken() == JsonToken.FIELD_NAME) {
                String name = parser.currentName();
                JsonToken value = parser.nextToken();
                if (name.equals("usage") && value == JsonToken.START_OBJECT) {
                    return usage(parser);
                }
                parser.skipChildren();
            }
            return null;
        }
    }

    /** {@link #read} from the bytes: {@link #ABSENT} if the body has no usage, null to leave the body to Jackson. */
    private static Usage fromBytes(ByteTokens tokens) {
        if (tokens.next() != JsonToken.START_OBJECT) {
            return null;
        }
        try {
            while (tokens.next() == JsonToken.FIELD_NAME) {
                JsonToken value = tokens.next();
                if (value == JsonToken.START_OBJECT && tokens.nameIs("usage")) {
                    return usage(tokens, v -> tokens.intValue()); // anything but a small integer: unsure
                }
                tokens.skipChildren();
            }
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e); // byte tokens read without I/O
        }
        return ABSENT;
    }

    /**
     * Chat and embeddings usage (embeddings have no completion tokens), or the Responses API's
     * ({@code input_tokens}, {@code input_tokens_details.cached_tokens}, {@code output_tokens}, which
     * already counts {@code output_tokens_details.reasoning_tokens}: reasoning is billed as output).
     */
    static Usage usage(JsonNode usage) {
        try (JsonParser parser = usage.traverse()) {
            parser.nextToken();
            return usage(parser);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e); // a tree in memory reads without I/O
        }
    }

    /**
     * {@link #usage(JsonNode)} read from the parser, whose current token is the usage object's
     * START_OBJECT, up to its END_OBJECT, without building it: an answer's usage is read on every call.
     * A member that is not a number counts as 0 (a numeric string as its number).
     */
    static Usage usage(JsonParser parser) throws IOException {
        return usage(JsonTokens.of(parser), value -> count(parser, value));
    }

    /** A count from the current value token. */
    @FunctionalInterface
    private interface Count {
        long of(JsonToken value) throws IOException;
    }

    /** {@link #usage(JsonParser)} from either reader of tokens, each with its own way to read a count. */
    private static Usage usage(JsonTokens tokens, Count count) throws IOException {
        long prompt = 0;
        long promptCached = 0;
        long completion = 0;
        long input = 0;
        long inputCached = 0;
        long output = 0;
        boolean chat = false;
        boolean responses = false;
        while (tokens.next() == JsonToken.FIELD_NAME) {
            JsonToken value = tokens.next();
            if (tokens.nameIs("prompt_tokens")) {
                chat = true;
                prompt = count.of(value);
            } else if (tokens.nameIs("completion_tokens")) {
                completion = count.of(value);
            } else if (tokens.nameIs("prompt_tokens_details")) {
                promptCached = cached(tokens, count, value);
            } else if (tokens.nameIs("input_tokens")) {
                responses = true;
                input = count.of(value);
            } else if (tokens.nameIs("output_tokens")) {
                output = count.of(value);
            } else if (tokens.nameIs("input_tokens_details")) {
                inputCached = cached(tokens, count, value);
            } else {
                tokens.skipChildren();
            }
        }
        return responses && !chat ? Usage.tokens(input, inputCached, output) : Usage.tokens(prompt, promptCached, completion);
    }

    /** A count as Jackson's {@code JsonNode.asLong(0)} reads one: a fraction truncated, never a failure. */
    private static long count(JsonParser parser, JsonToken value) throws IOException {
        return switch (value) {
            case VALUE_NUMBER_INT -> parser.getNumberType() == JsonParser.NumberType.BIG_INTEGER
                    ? parser.getBigIntegerValue().longValue() : parser.getLongValue();
            case VALUE_NUMBER_FLOAT -> (long) parser.getDoubleValue();
            case START_OBJECT, START_ARRAY -> {
                parser.skipChildren();
                yield 0;
            }
            default -> parser.getValueAsLong(0);
        };
    }

    /** {@code cached_tokens} of a details object (0 if it is not one). */
    private static long cached(JsonTokens tokens, Count count, JsonToken value) throws IOException {
        if (value != JsonToken.START_OBJECT) {
            tokens.skipChildren();
            return 0;
        }
        long cached = 0;
        while (tokens.next() == JsonToken.FIELD_NAME) {
            JsonToken v = tokens.next();
            if (tokens.nameIs("cached_tokens")) {
                cached = count.of(v);
            } else {
                tokens.skipChildren();
            }
        }
        return cached;
    }

    /**
     * Image usage: {@code images} produced, plus the tokens GPT image models report
     * ({@code input_tokens}, {@code output_tokens}; DALL·E reports none, {@code usage} is null).
     */
    static Usage images(JsonNode usage, long images) {
        if (usage == null) {
            return new Usage(0, 0, 0, images, 0, 0);
        }
        return new Usage(usage.path("input_tokens").asLong(0), 0, usage.path("output_tokens").asLong(0), images, 0, 0);
    }
}
