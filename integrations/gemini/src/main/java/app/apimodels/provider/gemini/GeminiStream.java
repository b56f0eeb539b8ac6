package app.apimodels.provider.gemini;

import app.apimodels.json.ByteTokens;
import app.apimodels.json.ChatChunks;
import app.apimodels.spi.provider.EventStreamRelay;
import app.apimodels.spi.provider.ProviderException;
import app.apimodels.spi.provider.StreamChunk;
import app.apimodels.spi.provider.StreamSink;
import app.apimodels.spi.provider.Usage;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;

/**
 * Relays {@code streamGenerateContent?alt=sse}: every event is a whole
 * {@code GenerateContentResponse}, passed on as an OpenAI chunk. Gemini sends no end marker: the
 * stream is finished once an event carried a {@code finishReason} (or the prompt was blocked) and
 * the body ended. {@code usageMetadata} is a running total, so the last one seen is the usage.
 * The events in between that only add text (most of a stream) are read from their bytes
 * ({@link ByteTokens}) and written as chunks straight to bytes ({@link ChatChunks}); the first, the
 * last and any with tool calls, a blocked prompt, an error or anything unusual are read as trees.
 */
final class GeminiStream extends EventStreamRelay {

    private final ObjectMapper mapper;
    private final GeminiErrors errors;
    private final Answers answers;
    private final String model;
    private final long created;
    private String id;
    private ChatChunks textChunks;
    /** One reader of events for the stream (see {@link ByteTokens#readAgain}). */
    private final ByteTokens tokens = new ByteTokens(new byte[0]);
    private int toolCalls;
    private boolean finished;

    GeminiStream(StreamSink sink, ObjectMapper mapper, GeminiErrors errors, String model, long created) {
        super(sink);
        this.mapper = mapper;
        this.errors = errors;
        this.answers = new Answers(mapper);
        this.model = model;
        this.created = created;
    }

    @Override
    protected ProviderException errorFor(int status, byte[] body) {
        return errors.forStatus(status, body);
    }

    @Override
    protected boolean finished() {
        return finished;
    }

    @Override
    protected void onEvent(byte[] buffer, int length) {
        Plain plain = id == null ? null : tokens.readAgain(buffer, length, GeminiStream::readPlain); // the first event names the chat and carries the role: a tree
        if (plain != null) {
            if (plain.usage() != null) {
                usage(plain.usage()); // cumulative: the latest replaces, never adds
            }
            deliver(new StreamChunk(chunk(textChunks, plain.text()), plain.text()));
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
        JsonNode error = event.get("error");
        if (error != null && error.isObject()) {
            failAndStop(errors.forStreamError(error));
            return;
        }
        boolean first = id == null;
        if (first) {
            id = Answers.id(event);
            textChunks = new ChatChunks(id, created, model);
        }
        Answers.Turn turn = answers.turn(event, toolCalls);
        byte[] chunk;
        try {
            chunk = mapper.writeValueAsBytes(answers.chunk(event, turn, id, model, created, first));
        } catch (IOException e) {
            failAndStop(errors.malformed(e));
            return;
        }
        toolCalls += turn.toolCalls().size();
        finished |= turn.finishReason() != null;
        Usage reported = Answers.usage(event);
        if (reported != null) {
            usage(reported); // cumulative: the latest replaces, never adds
        }
        deliver(new StreamChunk(chunk, turn.text()));
    }

    /** The chunk of an event that only adds {@code text}, as {@link Answers#chunk} builds it. */
    static byte[] chunk(ChatChunks chunks, String text) {
        return text.isEmpty() ? chunks.empty() : chunks.delta("content", text);
    }

    /** What an event that only adds text says: its text (thought parts left out) and its usage, if it has some. */
    record Plain(String text, Usage usage) {
    }

    /**
     * An event read from its bytes as {@link Answers#turn} and {@link Answers#usage} read its tree,
     * if it only adds text: its first candidate's parts are text (or thoughts), without a finish
     * reason; no function call, prompt feedback or error; usage counts of at most 9 digits; no member
     * it reads given twice; text that {@link ChatChunks} writes as Jackson would. Null for anything
     * else, and for anything {@link ByteTokens} is unsure of: then the tree decides.
     */
    static Plain plain(byte[] data, int length) {
        return ByteTokens.read(data, length, GeminiStream::readPlain);
    }

    private static Plain readPlain(ByteTokens tokens) {
        if (tokens.next() != JsonToken.START_OBJECT) {
            return null;
        }
        String text = "";
        Usage usage = null;
        boolean candidatesSeen = false;
        while (tokens.next() == JsonToken.FIELD_NAME) {
            JsonToken value = tokens.next();
            if (tokens.nameIs("candidates")) {
                if (candidatesSeen || value != JsonToken.START_ARRAY) {
                    return null;
                }
                candidatesSeen = true;
                JsonToken first = tokens.next();
                if (first == JsonToken.START_OBJECT) {
                    text = candidateText(tokens);
                    if (text == null) {
                        return null;
                    }
                    first = tokens.next();
                }
                for (JsonToken other = first; other != JsonToken.END_ARRAY; other = tokens.next()) {
                    tokens.skipChildren(); // only the first candidate is read
                }
            } else if (tokens.nameIs("usageMetadata")) {
                if (usage != null || value != JsonToken.START_OBJECT) {
                    return null;
                }
                usage = usage(tokens);
                if (usage == null) {
                    return null;
                }
            } else if (tokens.nameIs("functionCall") || tokens.nameIs("promptFeedback") || tokens.nameIs("error")) {
                return null;
            } else {
                tokens.skipChildren();
            }
        }
        return ChatChunks.writable(text) ? new Plain(text, usage) : null;
    }

    /** The text of a candidate (its START_OBJECT read) up to its end, or null if it is not a plain text candidate. */
    private static String candidateText(ByteTokens tokens) {
        String text = "";
        boolean contentSeen = false;
        while (tokens.next() == JsonToken.FIELD_NAME) {
            JsonToken value = tokens.next();
            if (tokens.nameIs("content")) {
                if (contentSeen || value != JsonToken.START_OBJECT) {
                    return null;
                }
                contentSeen = true;
                boolean partsSeen = false;
                while (tokens.next() == JsonToken.FIELD_NAME) {
                    JsonToken v = tokens.next();
                    if (!tokens.nameIs("parts")) {
                        tokens.skipChildren();
                    } else if (partsSeen || v != JsonToken.START_ARRAY) {
                        return null;
                    } else {
                        partsSeen = true;
                        StringBuilder joined = new StringBuilder();
                        for (JsonToken part = tokens.next(); part != JsonToken.END_ARRAY; part = tokens.next()) {
                            if (part != JsonToken.START_OBJECT) {
                                tokens.skipChildren(); // not an object: no text, no call (as the tree reads it)
                            } else if (!partText(tokens, joined)) {
                                return null;
                            }
                        }
                        text = joined.toString();
                    }
                }
            } else if (tokens.nameIs("finishReason")) {
                if (value != JsonToken.VALUE_NULL) {
                    return null;
                }
            } else if (tokens.nameIs("functionCall")) {
                return null;
            } else {
                tokens.skipChildren();
            }
        }
        return text;
    }

    /** Appends a part's text unless it is a thought (its START_OBJECT read, up to its end); false if it is not a plain text part. */
    private static boolean partText(ByteTokens tokens, StringBuilder joined) {
        String text = null;
        boolean textSeen = false;
        boolean thought = false;
        boolean thoughtSeen = false;
        while (tokens.next() == JsonToken.FIELD_NAME) {
            JsonToken value = tokens.next();
            if (tokens.nameIs("text")) {
                if (textSeen) {
                    return false;
                }
                textSeen = true;
                text = value == JsonToken.VALUE_STRING ? tokens.text() : null;
                tokens.skipChildren();
            } else if (tokens.nameIs("thought")) {
                if (thoughtSeen || value != JsonToken.VALUE_TRUE && value != JsonToken.VALUE_FALSE && value != JsonToken.VALUE_NULL) {
                    return false;
                }
                thoughtSeen = true;
                thought = value == JsonToken.VALUE_TRUE;
            } else if (tokens.nameIs("functionCall")) {
                return false;
            } else {
                tokens.skipChildren();
            }
        }
        if (!thought && text != null) {
            joined.append(text);
        }
        return true;
    }

    /** The usage of a {@code usageMetadata} object (its START_OBJECT read, up to its end), as {@link Answers#usage} reads it; null if unusual. */
    private static Usage usage(ByteTokens tokens) {
        long[] counts = new long[5];
        int seen = 0;
        while (tokens.next() == JsonToken.FIELD_NAME) {
            JsonToken value = tokens.next();
            int which = tokens.nameIs("promptTokenCount") ? 0 : tokens.nameIs("toolUsePromptTokenCount") ? 1
                    : tokens.nameIs("cachedContentTokenCount") ? 2 : tokens.nameIs("candidatesTokenCount") ? 3
                    : tokens.nameIs("thoughtsTokenCount") ? 4 : -1;
            if (which < 0) {
                tokens.skipChildren();
                continue;
            }
            if (value != JsonToken.VALUE_NUMBER_INT || (seen & 1 << which) != 0) {
                return null;
            }
            seen |= 1 << which;
            counts[which] = tokens.intValue();
        }
        return Usage.tokens(counts[0] + counts[1], counts[2], counts[3] + counts[4]);
    }
}
