package app.apimodels.spi.provider;

import java.io.IOException;
import java.io.InputStream;

/**
 * A media file the client gave as a model input (an upload, or a URL the engine fetched and
 * stored). The engine has already checked it; the request's {@code input} map refers to it by
 * {@link #url()}. Providers whose upstream fetches URLs itself pass the URL; providers that must
 * send the bytes (multipart uploads) read them with {@link #open()}.
 *
 * @param field       the input parameter it was given in, e.g. {@code image_url}
 * @param url         a URL the upstream can read (a signed link to the engine's copy); null for a
 *                    file sent with a call ({@link ProviderRequest#files()}), which is only opened
 * @param contentType the sniffed media type
 * @param size        bytes
 */
public record TaskInput(String field, String url, String contentType, long size, Opener opener) {

    /** Reads the stored bytes. */
    @FunctionalInterface
    public interface Opener {
        InputStream open() throws IOException;
    }

    public InputStream open() throws IOException {
        return opener.open();
    }

    /** A file name with an extension matching the content type (some upstreams insist on one). */
    public String fileName() {
        String sub = contentType == null ? "bin" : contentType.substring(contentType.indexOf('/') + 1);
        int plus = sub.indexOf('+');
        return field + "." + (plus > 0 ? sub.substring(0, plus) : sub);
    }
}
