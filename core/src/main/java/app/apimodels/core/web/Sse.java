package app.apimodels.core.web;

import java.nio.charset.StandardCharsets;

/** The server-sent-event frames of OpenAI-style streams, in one place. */
public final class Sse {

    /** The end-of-stream marker OpenAI clients wait for. */
    public static final byte[] DONE = "data: [DONE]\n\n".getBytes(StandardCharsets.US_ASCII);
    /** A comment line: keeps proxies and clients from timing out while nothing else is sent. */
    public static final byte[] KEEP_ALIVE = ": keep-alive\n\n".getBytes(StandardCharsets.US_ASCII);

    private static final byte[] DATA = "data: ".getBytes(StandardCharsets.US_ASCII);

    private Sse() {
    }

    /** One {@code data:} event carrying {@code payload} (JSON, UTF-8). */
    public static byte[] event(byte[] payload) {
        byte[] frame = new byte[DATA.length + payload.length + 2];
        System.arraycopy(DATA, 0, frame, 0, DATA.length);
        System.arraycopy(payload, 0, frame, DATA.length, payload.length);
        frame[frame.length - 2] = '\n';
        frame[frame.length - 1] = '\n';
        return frame;
    }

    /**
     * One event named {@code name} ({@code event:} line) carrying {@code payload}. A name that is
     * not a plain token (letters, digits, {@code . _ -}) is left out rather than sent: it comes from
     * upstream and must not be able to add lines to the stream.
     */
    public static byte[] event(String name, byte[] payload) {
        if (name == null || name.isEmpty() || name.length() > 100 || !name.chars().allMatch(Sse::tokenChar)) {
            return event(payload);
        }
        byte[] head = ("event: " + name + "\n").getBytes(StandardCharsets.US_ASCII);
        byte[] data = event(payload);
        byte[] frame = new byte[head.length + data.length];
        System.arraycopy(head, 0, frame, 0, head.length);
        System.arraycopy(data, 0, frame, head.length, data.length);
        return frame;
    }

    private static boolean tokenChar(int c) {
        return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-';
    }

    /** True if {@code stream} ends with {@link #DONE}: the stream was complete. */
    public static boolean endsWithDone(byte[] stream) {
        if (stream.length < DONE.length) {
            return false;
        }
        for (int i = 0; i < DONE.length; i++) {
            if (stream[stream.length - DONE.length + i] != DONE[i]) {
                return false;
            }
        }
        return true;
    }
}
