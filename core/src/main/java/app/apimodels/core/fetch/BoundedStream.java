package app.apimodels.core.fetch;

import java.io.IOException;
import java.io.InputStream;
import java.util.Objects;

/**
 * A response body that fails once more than its limit has arrived, and turns every read failure into
 * an {@link IOException} whose cause is the {@link FetchException} it amounts to. Once failed it stays
 * failed. Closing it closes the {@link FetchedBody}.
 */
final class BoundedStream extends InputStream {

    private final InputStream in;
    private final long maxBytes;
    private final Deadline deadline;
    private final String host;
    private final Runnable onClose;
    private long count;
    private boolean eof;
    private IOException failure;

    BoundedStream(InputStream in, long maxBytes, Deadline deadline, String host, Runnable onClose) {
        this.in = in;
        this.maxBytes = maxBytes;
        this.deadline = deadline;
        this.host = host;
        this.onClose = onClose;
    }

    @Override
    public int read() throws IOException {
        byte[] one = new byte[1];
        int n = read(one, 0, 1);
        return n < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public synchronized int read(byte[] buffer, int offset, int length) throws IOException {
        Objects.checkFromIndexSize(offset, length, buffer.length);
        if (failure != null) {
            throw failure;
        }
        if (eof) {
            return -1;
        }
        if (length == 0) {
            return 0;
        }
        int n;
        try {
            // One byte past the limit is enough to know it was passed.
            n = in.read(buffer, offset, (int) Math.min(length, maxBytes - count + 1));
        } catch (IOException e) {
            throw fail(deadline.explain(e, host));
        }
        if (n < 0) {
            eof = true;
            return -1;
        }
        count += n;
        if (count > maxBytes) {
            throw fail(FetchException.tooLarge(host, maxBytes));
        }
        return n;
    }

    synchronized boolean atEof() {
        return eof;
    }

    @Override
    public void close() {
        onClose.run();
    }

    private IOException fail(FetchException reason) {
        failure = new IOException(reason.getMessage(), reason);
        return failure;
    }
}
