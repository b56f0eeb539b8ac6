package app.apimodels.spi.http;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.function.Consumer;

/**
 * Incremental server-sent-events parser (WHATWG HTML, "event stream interpretation"): fed the
 * body in whatever pieces the network delivers, it hands over the {@code data} of each complete
 * event as the raw bytes the upstream sent. Lines may end in LF, CRLF or CR, also split across
 * pieces; comment lines and fields other than {@code data} are skipped; several {@code data}
 * lines of one event are joined with LF. An event not ended by a blank line when the body ends is
 * discarded, as the standard says: it may be cut short.
 */
public final class SseParser {

    private static final byte[] DATA = {'d', 'a', 't', 'a'};

    private final Consumer<byte[]> events;
    private byte[] line = new byte[512];
    private int lineLength;
    private boolean afterCarriageReturn;
    private byte[] data;

    /** @param events receives each event's data; not called for events without data lines */
    public SseParser(Consumer<byte[]> events) {
        this.events = events;
    }

    public void feed(ByteBuffer piece) {
        while (piece.hasRemaining()) {
            byte b = piece.get();
            if (afterCarriageReturn) {
                afterCarriageReturn = false;
                if (b == '\n') {
                    continue; // the LF of a CRLF whose CR ended the line already
                }
            }
            if (b == '\r') {
                afterCarriageReturn = true;
                endLine();
            } else if (b == '\n') {
                endLine();
            } else {
                if (lineLength == line.length) {
                    line = Arrays.copyOf(line, line.length * 2);
                }
                line[lineLength++] = b;
            }
        }
    }

    private void endLine() {
        int length = lineLength;
        lineLength = 0;
        if (length == 0) {
            dispatch();
        } else if (isDataField(length)) {
            int valueStart = DATA.length + 1;
            if (valueStart < length && line[valueStart] == ' ') {
                valueStart++;
            }
            appendData(Arrays.copyOfRange(line, Math.min(valueStart, length), length));
        }
    }

    /** {@code data:value} or a bare {@code data}; comments start with a colon and never match. */
    private boolean isDataField(int length) {
        if (length < DATA.length || !Arrays.equals(line, 0, DATA.length, DATA, 0, DATA.length)) {
            return false;
        }
        return length == DATA.length || line[DATA.length] == ':';
    }

    private void appendData(byte[] value) {
        if (data == null) {
            data = value;
        } else {
            byte[] joined = Arrays.copyOf(data, data.length + 1 + value.length);
            joined[data.length] = '\n';
            System.arraycopy(value, 0, joined, data.length + 1, value.length);
            data = joined;
        }
    }

    private void dispatch() {
        if (data != null) {
            byte[] event = data;
            data = null;
            events.accept(event);
        }
    }
}
