package app.apimodels.core.audio;

import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;

/**
 * Random access to a file's bytes through a small window, for reading container headers: big- and
 * little-endian integers at any position, skipping and seeking without reading what lies between.
 * Reading past the end throws {@link EOFException}.
 */
final class Reader {

    private static final int WINDOW = 64 * 1024;

    private final FileChannel channel;
    private final long size;
    private final ByteBuffer window = ByteBuffer.allocate(WINDOW);
    /** File position of the window's first byte. */
    private long windowStart;
    private long position;

    Reader(FileChannel channel) throws IOException {
        this.channel = channel;
        this.size = channel.size();
        window.limit(0);
    }

    long size() {
        return size;
    }

    long position() {
        return position;
    }

    long remaining() {
        return size - position;
    }

    void seek(long to) throws EOFException {
        if (to < 0 || to > size) {
            throw new EOFException("seek beyond the end");
        }
        position = to;
    }

    void skip(long n) throws EOFException {
        if (n < 0 || n > remaining()) {
            throw new EOFException("skip beyond the end");
        }
        position += n;
    }

    int u8() throws IOException {
        if (position < windowStart || position >= windowStart + window.limit()) {
            fill();
        }
        return window.get((int) (position++ - windowStart)) & 0xFF;
    }

    int u16be() throws IOException {
        return u8() << 8 | u8();
    }

    int u16le() throws IOException {
        return u8() | u8() << 8;
    }

    int u24be() throws IOException {
        return u8() << 16 | u8() << 8 | u8();
    }

    long u32be() throws IOException {
        return (long) u16be() << 16 | u16be();
    }

    long u32le() throws IOException {
        return u16le() | (long) u16le() << 16;
    }

    long u64be() throws IOException {
        return u32be() << 32 | u32be();
    }

    long u64le() throws IOException {
        return u32le() | u32le() << 32;
    }

    byte[] bytes(int n) throws IOException {
        if (n > remaining()) {
            throw new EOFException("read beyond the end");
        }
        byte[] out = new byte[n];
        for (int i = 0; i < n; i++) {
            out[i] = (byte) u8();
        }
        return out;
    }

    /** Whether the next bytes are {@code ascii}; the position is left where it was. */
    boolean at(String ascii) throws IOException {
        if (remaining() < ascii.length()) {
            return false;
        }
        long start = position;
        try {
            for (int i = 0; i < ascii.length(); i++) {
                if (u8() != ascii.charAt(i)) {
                    return false;
                }
            }
            return true;
        } finally {
            position = start;
        }
    }

    private void fill() throws IOException {
        if (position >= size) {
            throw new EOFException("read beyond the end");
        }
        window.clear();
        windowStart = position;
        while (window.hasRemaining()) {
            if (channel.read(window, windowStart + window.position()) < 0) {
                break;
            }
        }
        window.flip();
    }
}
