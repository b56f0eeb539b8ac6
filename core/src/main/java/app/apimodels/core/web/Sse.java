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
