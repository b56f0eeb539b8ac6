package app.apimodels.provider.openai;

import app.apimodels.spi.provider.ProviderException;
import app.apimodels.spi.provider.TaskInput;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.regex.Pattern;

/**
 * A {@code multipart/form-data} body (RFC 7578), built in memory: the transport takes a body as
 * bytes, and the files sent (input images) are bounded by the engine's upload limits.
 */
final class Multipart {

    private static final SecureRandom RANDOM = new SecureRandom();
    /** RFC 2046 {@code bchars}, without the space (allowed inside but not at the end: not worth it). */
    private static final Pattern BOUNDARY = Pattern.compile("[0-9A-Za-z'()+_,\\-./:=?]{1,70}");
    private static final byte[] CRLF = {'\r', '\n'};

    private final String boundary;
    private final ByteArrayOutputStream body = new ByteArrayOutputStream();

    /**
     * A body with an unguessable boundary: a file a client uploaded cannot contain it by design,
     * so it cannot end its part early and smuggle in fields of its own.
     */
    Multipart() {
        this("apimodels-" + HexFormat.of().formatHex(randomBytes()));
    }

    Multipart(String boundary) {
        if (!BOUNDARY.matcher(boundary).matches()) {
            throw new IllegalArgumentException("not a multipart boundary: " + boundary);
        }
        this.boundary = boundary;
    }

    private static byte[] randomBytes() {
        byte[] bytes = new byte[16];
        RANDOM.nextBytes(bytes);
        return bytes;
    }

    /** The request's {@code Content-Type}. */
    String contentType() {
        return "multipart/form-data; boundary=" + boundary;
    }

    /** A text field, in UTF-8. */
    Multipart field(String name, String value) {
        start("form-data; name=\"" + quote(name) + "\"", null);
        body.writeBytes(value.getBytes(StandardCharsets.UTF_8));
        body.writeBytes(CRLF);
        return this;
    }

    /** A file, copied from {@code data}; the caller closes it. */
    Multipart file(String name, String fileName, String contentType, InputStream data) throws IOException {
        start("form-data; name=\"" + quote(name) + "\"; filename=\"" + quote(fileName) + "\"",
                contentType == null ? "application/octet-stream" : contentType);
        data.transferTo(body);
        body.writeBytes(CRLF);
        return this;
    }

    /**
     * A file the engine keeps (a model input), read now; a file that cannot be read is the
     * engine's failure, not the upstream's or the client's.
     */
    Multipart file(String name, TaskInput input) {
        try (InputStream data = input.open()) {
            return file(name, input.fileName(), input.contentType(), data);
        } catch (IOException | RuntimeException e) {
            throw new ProviderException(ProviderException.Kind.NETWORK,
                    "could not read the input file given in '" + input.field() + "'", e);
        }
    }

    /** The whole body, with the closing delimiter. */
    byte[] toByteArray() {
        ByteArrayOutputStream whole = new ByteArrayOutputStream(body.size() + boundary.length() + 6);
        whole.writeBytes(body.toByteArray());
        whole.writeBytes(("--" + boundary + "--").getBytes(StandardCharsets.US_ASCII));
        whole.writeBytes(CRLF);
        return whole.toByteArray();
    }

    private void start(String disposition, String contentType) {
        StringBuilder head = new StringBuilder("--").append(boundary).append("\r\n")
                .append("Content-Disposition: ").append(disposition).append("\r\n");
        if (contentType != null) {
            if (contentType.indexOf('\r') >= 0 || contentType.indexOf('\n') >= 0) {
                throw new IllegalArgumentException("line break in a part's content type");
            }
            head.append("Content-Type: ").append(contentType).append("\r\n");
        }
        body.writeBytes(head.append("\r\n").toString().getBytes(StandardCharsets.UTF_8));
    }

    /**
     * A name or file name inside quotes, escaped as browsers do (WHATWG HTML, "multipart/form-data
     * encoding algorithm"): a quote or line break would otherwise end the header.
     */
    static String quote(String name) {
        return name.replace("\"", "%22").replace("\r", "%0D").replace("\n", "%0A");
    }
}
