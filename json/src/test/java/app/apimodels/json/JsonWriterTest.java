package app.apimodels.json;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** The writer's bytes are those Jackson's generator writes for the same calls. */
class JsonWriterTest {

    private static final List<String> STRINGS = List.of("", "plain", "qu\"ote", "back\\slash", "tab\tnew\nline\r",
            "nul\0bell\u0007", "del\u007f", "caf\u00e9", "\u20ac 10", "</script>", "a/b");
    private static final long[] LONGS = {0, 1, -1, 9, 10, 99, 100, 123456789, -987654321, Integer.MAX_VALUE, Integer.MIN_VALUE,
        Long.MAX_VALUE, Long.MIN_VALUE, Long.MAX_VALUE - 1, 1_000_000_000_000L};
    private static final double[] DOUBLES = {0.0, -0.0, 1.0, 0.5, 1.5e-7, 12.25, 1e21, 123456789.125, Double.MIN_VALUE,
        Double.MAX_VALUE, Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY};

    @Test
    void writesWhatJacksonWrites() throws IOException {
        JsonWriter w = new JsonWriter(8); // grows
        ByteArrayOutputStream expected = new ByteArrayOutputStream();
        try (JsonGenerator g = new ObjectMapper().getFactory().createGenerator(expected)) {
            w.startObject();
            g.writeStartObject();
            for (String s : STRINGS) {
                w.name(s).string(s);
                g.writeStringField(s, s);
            }
            w.name("nothing").string(null).name("no number").number((Long) null).name("boxed").number(Long.valueOf(7));
            g.writeNullField("nothing");
            g.writeNullField("no number");
            g.writeNumberField("boxed", 7L);
            w.name("empty").startArray().endArray().name("empty object").startObject().endObject();
            g.writeArrayFieldStart("empty");
            g.writeEndArray();
            g.writeObjectFieldStart("empty object");
            g.writeEndObject();
            w.name("values").startArray();
            g.writeArrayFieldStart("values");
            for (long n : LONGS) {
                w.number(n);
                g.writeNumber(n);
            }
            for (double d : DOUBLES) {
                w.number(d);
                g.writeNumber(d);
            }
            w.bool(true).bool(false).nullValue().startArray().number(1).startObject().name("x").bool(true).endObject().endArray().string("end");
            g.writeBoolean(true);
            g.writeBoolean(false);
            g.writeNull();
            g.writeStartArray();
            g.writeNumber(1);
            g.writeStartObject();
            g.writeBooleanField("x", true);
            g.writeEndObject();
            g.writeEndArray();
            g.writeString("end");
            w.endArray().name("last").number(3).endObject().append('\n');
            g.writeEndArray();
            g.writeNumberField("last", 3);
            g.writeEndObject();
        }
        expected.write('\n');
        assertThat(new String(w.toByteArray(), java.nio.charset.StandardCharsets.UTF_8))
                .isEqualTo(expected.toString(java.nio.charset.StandardCharsets.UTF_8));
        assertThat(w.toByteArray()).isEqualTo(expected.toByteArray());
        java.nio.ByteBuffer buffer = w.buffer();
        byte[] viaBuffer = new byte[buffer.remaining()];
        buffer.get(viaBuffer);
        assertThat(viaBuffer).isEqualTo(expected.toByteArray());
    }

    /**
     * A character beyond the BMP is written as its UTF-8 bytes (as {@link JsonStrings} writes it), where
     * Jackson's generator escapes its surrogate pair: the same string to any reader.
     */
    @Test
    void aSupplementaryCharacterIsWrittenAsUtf8() throws IOException {
        String emoji = "emoji \uD83D\uDE00";
        byte[] written = new JsonWriter(4).startArray().string(emoji).endArray().toByteArray();
        assertThat(written).isEqualTo(("[\"" + emoji + "\"]").getBytes(java.nio.charset.StandardCharsets.UTF_8));
        assertThat(new ObjectMapper().readValue(written, List.class)).containsExactly(emoji);
    }
}
