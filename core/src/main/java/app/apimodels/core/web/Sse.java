package app.apimodels.core.web;

import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/** The server-sent-event frames of OpenAI-style streams, in one place. */
public final class Sse {

    /** The end-of-stream marker OpenAI clients wait for. */
    public static final byte[] DONE = "data: [DONE]\n\n".getBytes(StandardCharsets.US_ASCII);
    /** A comment line: keeps proxies and clients from timing out while nothing else is sent. */
    public static final byte[] KEEP_ALIVE = ": keep-alive\n\n".getBytes(StandardCharsets.US_ASCII);
    /** The start of the last event of a whole Anthropic Messages stream. */
    private static final byte[] MESSAGE_STOP = "event: message_stop\n".getBytes(StandardCharsets.US_ASCII);
    /** The starts of the last event of a whole Responses API stream (the answer, or one cut at its output cap). */
    private static final byte[][] RESPONSE_ENDS = {"event: response.completed\n".getBytes(StandardCharsets.US_ASCII),
            "event: response.incomplete\n".getBytes(StandardCharsets.US_ASCII)};

    /** What starts an unnamed event, up to its data. */
    public static final byte[] DATA = "data: ".getBytes(StandardCharsets.US_ASCII);
    /** What ends an event after its data. */
    public static final byte[] END = {'\n', '\n'};
    /**
     * The heads of the events the vendors' streams passed through name (Anthropic Messages, OpenAI
     * Responses), made once: a named event's head is written for every relayed chunk.
     */
    private static final Map<String, byte[]> KNOWN_HEADS = Stream.of("message_start", "content_block_start",
                    "content_block_delta", "content_block_stop", "message_delta", "message_stop", "ping",
                    "response.created", "response.in_progress", "response.output_item.added", "response.output_item.done",
                    "response.content_part.added", "response.content_part.done", "response.output_text.delta",
                    "response.output_text.done", "response.refusal.delta", "response.refusal.done",
                    "response.reasoning_summary_text.delta", "response.reasoning_summary_text.done",
                    "response.function_call_arguments.delta", "response.function_call_arguments.done")
            .collect(Collectors.toUnmodifiableMap(Function.identity(), Sse::namedHead));

    private Sse() {
    }

    /** One {@code data:} event carrying {@code payload} (JSON, UTF-8). */
    public static byte[] event(byte[] payload) {
        return event(null, payload);
    }

    /**
     * One event named {@code name} ({@code event:} line) carrying {@code payload}; see {@link #head}.
     */
    public static byte[] event(String name, byte[] payload) {
        return frame(head(name), payload, END);
    }

    /** {@code head}, {@code payload} and {@code tail} in one new array: an event written at once. */
    public static byte[] frame(byte[] head, byte[] payload, byte[] tail) {
        byte[] frame = new byte[head.length + payload.length + tail.length];
        System.arraycopy(head, 0, frame, 0, head.length);
        System.arraycopy(payload, 0, frame, head.length, payload.length);
        System.arraycopy(tail, 0, frame, head.length + payload.length, tail.length);
        return frame;
    }

    /**
     * The start of an event named {@code name} up to its data ({@code event:} line, {@code data: }),
     * or {@link #DATA} for null. A name that is not a plain token (letters, digits, {@code . _ -})
     * is left out rather than sent: it comes from upstream and must not be able to add lines to the stream.
     */
    public static byte[] head(String name) {
        if (name == null) {
            return DATA;
        }
        byte[] known = KNOWN_HEADS.get(name);
        if (known != null) {
            return known;
        }
        if (name.isEmpty() || name.length() > 100 || !name.chars().allMatch(Sse::tokenChar)) {
            return DATA;
        }
        return namedHead(name);
    }

    private static byte[] namedHead(String name) {
        return ("event: " + name + "\ndata: ").getBytes(StandardCharsets.US_ASCII);
    }

    private static boolean tokenChar(int c) {
        return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-';
    }

    /**
     * True if {@code stream} (its frames as sent) is a whole answer: it ends with {@link #DONE}, or
     * its last event is Anthropic's {@code message_stop} or the Responses API's {@code response.completed}
     * (or {@code response.incomplete}).
     */
    public static boolean complete(byte[] stream) {
        if (startsWith(stream, DONE, stream.length - DONE.length)) {
            return true;
        }
        // The last frame starts after the blank line that ends the one before it.
        int end = stream.length - 2;
        int start = end;
        while (start > 0 && !(stream[start - 1] == '\n' && start >= 2 && stream[start - 2] == '\n')) {
            start--;
        }
        return end > start && (startsWith(stream, MESSAGE_STOP, start) || startsWith(stream, RESPONSE_ENDS[0], start)
                || startsWith(stream, RESPONSE_ENDS[1], start));
    }

    private static boolean startsWith(byte[] stream, byte[] prefix, int at) {
        if (at < 0 || at + prefix.length > stream.length) {
            return false;
        }
        for (int i = 0; i < prefix.length; i++) {
            if (stream[at + i] != prefix[i]) {
                return false;
            }
        }
        return true;
    }
}
