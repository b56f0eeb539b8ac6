package app.apimodels.spi.storage;

import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;

/**
 * An open read of a stored object, or of a byte range of it. Close it when done.
 *
 * @param stream      the bytes from {@code offset}, {@code length} of them
 * @param offset      first byte delivered
 * @param length      bytes delivered
 * @param totalSize   size of the whole object
 * @param contentType the type it was stored with
 */
public record ObjectContent(InputStream stream, long offset, long length, long totalSize, String contentType)
        implements Closeable {
    @Override
    public void close() throws IOException {
        stream.close();
    }
}
