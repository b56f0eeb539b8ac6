package app.apimodels.json;

import com.fasterxml.jackson.core.io.JsonStringEncoder;

import java.nio.charset.StandardCharsets;

/**
 * The OpenAI {@code chat.completion.chunk}s of one translated stream (another vendor's events
 * passed on as OpenAI chunks) that carry only text, written straight to bytes: they are most of a
 * stream's chunks, and building each as a tree to write it allocated several times the chunk's
 * size. The bytes are the ones Jackson writes for the same chunk built as a tree
 * ({@code id, object, created, model, choices: [{index: 0, delta, finish_reason: null}]}); chunks
 * of any other shape (roles, tool calls, finish reasons, usage) are built as trees by the caller.
 */
public final class ChatChunks {

    private static final byte[] FINISH_NULL = "},\"finish_reason\":null}]}".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] EMPTY_DELTA_END = "{},\"finish_reason\":null}]}".getBytes(StandardCharsets.US_ASCII);

    /** Everything up to the delta object: the same for every chunk of the stream. */
    private final byte[] head;

    public ChatChunks(String id, long created, String model) {
        head = ("{\"id\":" + quoted(id) + ",\"object\":\"chat.completion.chunk\",\"created\":" + created
                + ",\"model\":" + quoted(model) + ",\"choices\":[{\"index\":0,\"delta\":").getBytes(StandardCharsets.UTF_8);
    }

    /** A chunk whose delta is {@code {"<field>": text}} ({@code field} a plain ASCII name, as {@code content}). */
    public byte[] delta(String field, String text) {
        byte[] escaped = JsonStrings.escaped(text);
        int textLength = JsonStrings.length(text, escaped);
        byte[] chunk = new byte[head.length + field.length() + 6 + textLength + FINISH_NULL.length];
        System.arraycopy(head, 0, chunk, 0, head.length);
        int at = head.length;
        chunk[at++] = '{';
        chunk[at++] = '"';
        for (int k = 0; k < field.length(); k++) {
            chunk[at++] = (byte) field.charAt(k);
        }
        chunk[at++] = '"';
        chunk[at++] = ':';
        chunk[at++] = '"';
        at = JsonStrings.put(text, escaped, chunk, at);
        chunk[at++] = '"';
        System.arraycopy(FINISH_NULL, 0, chunk, at, FINISH_NULL.length);
        return chunk;
    }

    /** A chunk with an empty delta. */
    public byte[] empty() {
        byte[] chunk = new byte[head.length + EMPTY_DELTA_END.length];
        System.arraycopy(head, 0, chunk, 0, head.length);
        System.arraycopy(EMPTY_DELTA_END, 0, chunk, head.length, EMPTY_DELTA_END.length);
        return chunk;
    }

    /**
     * Whether {@link #delta} writes {@code text} as Jackson's generator does: it writes characters
     * beyond the BMP (surrogates) as escapes (backslash, u, four hex digits), the encoder as UTF-8, so such text (emoji)
     * is left to the caller's tree.
     */
    public static boolean writable(String text) {
        for (int i = 0; i < text.length(); i++) {
            if (Character.isSurrogate(text.charAt(i))) {
                return false;
            }
        }
        return true;
    }

    private static String quoted(String s) {
        return "\"" + new String(JsonStringEncoder.getInstance().quoteAsString(s)) + "\"";
    }
}
