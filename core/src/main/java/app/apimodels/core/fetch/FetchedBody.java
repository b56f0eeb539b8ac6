package app.apimodels.core.fetch;

import org.apache.hc.client5.http.classic.methods.HttpUriRequestBase;
import org.apache.hc.core5.http.ClassicHttpResponse;

import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;

/**
 * A successful response whose body is still to be read. Reads fail with an {@link IOException} caused
 * by a {@link FetchException} ({@code too_large}, {@code timeout}, {@code io}; see
 * {@link FetchException#find}). The fetch's deadline keeps running until this is closed.
 */
public final class FetchedBody implements Closeable {

    private final URI finalUrl;
    private final int status;
    private final String contentType;
    private final long contentLength;
    private final HttpUriRequestBase request;
    private final ClassicHttpResponse response;
    private final Deadline deadline;
    private final BoundedStream stream;
    private boolean closed;

    FetchedBody(URI finalUrl, ClassicHttpResponse response, HttpUriRequestBase request, Deadline deadline,
            InputStream content, long maxBytes, String host) {
        this.finalUrl = finalUrl;
        this.status = response.getCode();
        this.contentType = response.getEntity() == null ? null : response.getEntity().getContentType();
        this.contentLength = response.getEntity() == null ? 0 : response.getEntity().getContentLength();
        this.request = request;
        this.response = response;
        this.deadline = deadline;
        this.stream = new BoundedStream(content, maxBytes, deadline, host, this::close);
    }

    /** The URL the body came from, after redirects. */
    public URI finalUrl() {
        return finalUrl;
    }

    public int status() {
        return status;
    }

    /** The Content-Type as the server sent it, or null. */
    public String contentType() {
        return contentType;
    }

    /** The declared length, or -1 if the server did not say. */
    public long contentLength() {
        return contentLength;
    }

    public InputStream stream() {
        return stream;
    }

    /** Releases the connection. A body not read to its end is cut off, never drained. */
    @Override
    public void close() {
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
        }
        try {
            SafeFetcher.release(request, response, stream.atEof());
        } finally {
            deadline.finish();
        }
    }
}
