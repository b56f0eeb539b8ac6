package app.apimodels.spi.http;

import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * Incremental server-sent-events parser (WHATWG HTML, "event stream interpretation"): fed the
 * body in whatever pieces the network delivers, it hands over the {@code data} of each complete
 * event as the raw bytes the upstream sent. Lines may end in LF, CRLF or CR, also split across
 * pieces; comment lines and fields other than {@code data} are skipped; several {@code data}
 * lines of one event are joined with LF. An event not ended by a blank line when the body ends is
 * discarded, as the standard says: it may be cut short.
 *
 * <p>An event's data is lent, not given: it lies in a buffer of the parser's that the next event
 * overwrites, so a stream's events cost no array each; a consumer that keeps or passes on the
 * data copies it ({@code Arrays.copyOf(buffer, length)}).
 */
public final class SseParser {

    private static final byte[] DATA = {'d', 'a', 't', 'a'};

    /** Receives each event's data, valid only during the call. */
    @FunctionalInterface
    public interface Events {
        /** One event's data: {@code buffer[0, length)}, overwritten after this returns. */
        void event(byte[] buffer, int length);
    }

    private final Events events;
    private byte[] line = new byte[512];
    private int lineLength;
    private boolean afterCarriageReturn;
    /** The data lines of the event so far (joined with LF), if it has any. */
    private byte[] data = new byte[512];
    private int dataLength;
    private boolean hasData;

    /** @param events receives each event's data; not called for events without data lines */
    public SseParser(Events events) {
        this.events = events;
    }

    public void feed(ByteBuffer piece) {
        int at = piece.position();
        int limit = piece.limit();
        while (at < limit) {
            if (afterCarriageReturn) {
                afterCarriageReturn = false;
                if (piece.get(at) == '\n') {
                    at++; // the LF of a CRLF whose CR ended the line already
                    continue;
                }
            }
            // The rest of the line is copied at once, not byte by byte: a chunk is a few hundred bytes.
            int end = at;
            while (end < limit && piece.get(end) != '\n' && piece.get(end) != '\r') {
                end++;
            }
            int length = end - at;
            if (lineLength + length > line.length) {
                line = Arrays.copyOf(line, Math.max(line.length * 2, lineLength + length));
            }
            piece.get(at, line, lineLength, length);
            lineLength += length;
            if (end == limit) {
                break;
            }
            afterCarriageReturn = piece.get(end) == '\r';
            at = end + 1;
            endLine();
        }
        piece.position(limit);
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
            appendData(Math.min(valueStart, length), length);
        }
    }

    /** {@code data:value} or a bare {@code data}; comments start with a colon and never match. */
    private boolean isDataField(int length) {
        if (length < DATA.length || !Arrays.equals(line, 0, DATA.length, DATA, 0, DATA.length)) {
            return false;
        }
        return length == DATA.length || line[DATA.length] == ':';
    }

    /** Adds {@code line[from, to)} to the event's data, after a LF if it has data lines already. */
    private void appendData(int from, int to) {
        int at = hasData ? dataLength + 1 : 0;
        int length = at + to - from;
        if (length > data.length) {
            data = Arrays.copyOf(data, Math.max(data.length * 2, length));
        }
        if (hasData) {
            data[dataLength] = '\n';
        }
        System.arraycopy(line, from, data, at, to - from);
        dataLength = length;
        hasData = true;
    }

    private void dispatch() {
        if (hasData) {
            int length = dataLength;
            hasData = false;
            dataLength = 0;
            events.event(data, length);
        }
    }
}
