package app.apimodels.spi.provider;

import java.net.URI;
import java.time.Instant;

/**
 * One generated file: either a URL at the upstream (which the engine downloads and stores before
 * it expires) or the bytes themselves (upstreams answering with base64).
 *
 * @param url         where to download it, or null when {@code data} is given
 * @param data        the file, or null when {@code url} is given
 * @param contentType its media type if the upstream said, else null (the engine sniffs it)
 * @param expiresAt   when the upstream's link stops working, if the upstream said; otherwise the
 *                    engine reads it from signed-URL parameters or assumes its configured default
 */
public record TaskOutput(URI url, byte[] data, String contentType, Instant expiresAt) {
    public TaskOutput {
        if ((url == null) == (data == null)) {
            throw new IllegalArgumentException("exactly one of url and data");
        }
    }

    public static TaskOutput url(URI url, String contentType, Instant expiresAt) {
        return new TaskOutput(url, null, contentType, expiresAt);
    }

    public static TaskOutput bytes(byte[] data, String contentType) {
        return new TaskOutput(null, data, contentType, null);
    }

    @Override
    public String toString() {
        return "TaskOutput[" + (url != null ? url : data.length + " bytes") + ", " + contentType + "]";
    }
}
