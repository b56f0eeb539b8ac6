package app.apimodels.provider.openai;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class MultipartTest {

    /** File content that looks like multipart syntax must be copied verbatim all the same. */
    private static final byte[] FILE = {0, '\r', '\n', '-', '-', 'x', '\r', '\n', (byte) 0xFF, (byte) 0x89};

    @Test
    void partsAreDelimitedAsRfc7578Says() throws Exception {
        byte[] body = new Multipart("b0undary")
                .field("prompt", "a cat, é")
                .file("image[]", "image_url.png", "image/png", new ByteArrayInputStream(FILE))
                .toByteArray();

        ByteArrayOutputStream expected = new ByteArrayOutputStream();
        expected.writeBytes(("--b0undary\r\n"
                + "Content-Disposition: form-data; name=\"prompt\"\r\n"
                + "\r\n"
                + "a cat, é\r\n"
                + "--b0undary\r\n"
                + "Content-Disposition: form-data; name=\"image[]\"; filename=\"image_url.png\"\r\n"
                + "Content-Type: image/png\r\n"
                + "\r\n").getBytes(StandardCharsets.UTF_8));
        expected.writeBytes(FILE);
        expected.writeBytes("\r\n--b0undary--\r\n".getBytes(StandardCharsets.US_ASCII));
        assertThat(body).isEqualTo(expected.toByteArray());
    }

    @Test
    void aFileOfUnknownTypeIsSentAsOctetStream() throws Exception {
        String body = new String(new Multipart("b").file("mask", "mask.bin", null, new ByteArrayInputStream(new byte[0]))
                .toByteArray(), StandardCharsets.UTF_8);

        assertThat(body).contains("Content-Type: application/octet-stream\r\n");
    }

    @Test
    void quotesAndLineBreaksInNamesCannotEndTheHeader() {
        String body = new String(new Multipart("b").field("a\"b\r\nContent-Type: text/html", "v").toByteArray(), StandardCharsets.UTF_8);

        assertThat(body).contains("name=\"a%22b%0D%0AContent-Type: text/html\"\r\n\r\nv\r\n");
    }

    @Test
    void lineBreakInAContentTypeIsRefused() {
        assertThatThrownBy(() -> new Multipart("b").file("image", "x.png", "image/png\r\nX-Evil: 1", new ByteArrayInputStream(FILE)))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void generatedBoundariesAreValidUnguessableAndNamedInTheContentType() {
        Pattern contentType = Pattern.compile("multipart/form-data; boundary=([0-9A-Za-z'()+_,\\-./:=?]{1,70})");
        Multipart first = new Multipart();
        Matcher firstBoundary = contentType.matcher(first.contentType());
        Matcher secondBoundary = contentType.matcher(new Multipart().contentType());

        assertThat(firstBoundary.matches()).as(first.contentType()).isTrue();
        assertThat(secondBoundary.matches()).isTrue();
        assertThat(firstBoundary.group(1)).hasSizeGreaterThanOrEqualTo(32).isNotEqualTo(secondBoundary.group(1));
        assertThat(new String(first.field("n", "1").toByteArray(), StandardCharsets.US_ASCII))
                .startsWith("--" + firstBoundary.group(1) + "\r\n").endsWith("\r\n--" + firstBoundary.group(1) + "--\r\n");
    }

    @Test
    void invalidBoundariesAreRefused() {
        assertThatThrownBy(() -> new Multipart("")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new Multipart("a\r\nb")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new Multipart("x".repeat(71))).isInstanceOf(IllegalArgumentException.class);
    }
}
