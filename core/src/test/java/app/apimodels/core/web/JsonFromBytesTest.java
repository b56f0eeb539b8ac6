package app.apimodels.core.web;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * A request body is read from its bytes when they are sure of it, and then into the very values,
 * span and refusals that Jackson's parser gives; everything else is Jackson's.
 */
class JsonFromBytesTest {

    private static final String CHAT = "{\"model\":\"m\",\"messages\":[{\"role\":\"system\",\"content\":\"You are a helpful assistant.\"},"
            + "{\"role\":\"user\",\"content\":\"Summarise the plot of Hamlet, please.\"}],\"max_tokens\":256,\"temperature\":0.2}";

    /** Bodies the bytes read themselves. */
    private static final List<String> READ = List.of(
            CHAT,
            "{}",
            " \r\n\t{ \"model\" : \"gpt-4o\" , \"stream\" : false , \"n\" : null , \"ok\" : true }\n ",
            "{\"model\":\"caf\\u00e9 \\\"x\\\" \\\\ \\/ \\b\\f\\n\\r\\t\",\"messages\":[{\"content\":\"h\u00e9 \u20ac \uD83D\uDE00 \\uD83D\\uDE00\"}]}",
            "{\"model\":\"m\",\"x\":{\"model\":\"inner\"},\"model2\":\"n\"}",
            "{\"x\":{\"model\":\"inner\"},\"model\":\"outer\"}",
            "{\"model\":5}",
            "{\"a\":[0,-0,1,-1,123456789012345678,-123456789012345678,0.5,-0.0,1e5,1E-5,2.5e+3,1.0e308,4.9e-324]}",
            "{\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"f\",\"parameters\":{\"type\":\"object\",\"properties\":{}}}}],\"e\":[]}",
            "{\"a\":" + "[".repeat(59) + "]".repeat(59) + "}",
            "{\"d\":\"\u007f\"}",
            "{\"" + "n".repeat(1024) + "\":1}");

    /** Bodies left to Jackson (unsure, or refused), with what it says. */
    private static final List<String> LEFT = List.of(
            "{\"a\":1234567890123456789}",
            "{\"a\":9223372036854775808}",
            "{\"a\":1e400}",
            "{\"a\":[1,-1e999]}",
            "{\"n\":" + "9".repeat(101) + "}",
            "{\"n\":0." + "9".repeat(99) + "}",
            "{\"a\":" + "[".repeat(61) + "]".repeat(61) + "}",
            "{\"a\":" + "[".repeat(200) + "]".repeat(200) + "}",
            "{\"model\":\"a\",\"model\":\"b\"}",
            "{\"a\":{\"b\":1,\"b\":2}}",
            "{\"a\":\"x\\u0000y\"}",
            "{\"a\\u0000\":1}",
            "{\"mod\\u0065l\":\"m\"}",
            "{\"" + "n".repeat(1025) + "\":1}",
            "{\"caf\u00e9\":1}",
            "{\"a\":1} x",
            "{\"a\":1}{}",
            "{\"a\":1",
            "{\"a\":01}",
            "{\"a\":.5}",
            "{\"a\":-}",
            "{\"a\":tru}",
            "{\"a\":NaN}",
            "{\"a\":'x'}",
            "{a:1}",
            "{\"a\":1,}",
            "{\"a\":\"tab\there\"}",
            "{\"a\":\"\\x\"}",
            "[1]",
            "\"s\"",
            "   ",
            "\uFEFF{\"a\":1}",
            "{\"a\":1}\u0000");

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void whatTheBytesReadIsWhatJacksonReads() {
        List<byte[]> bodies = new ArrayList<>();
        READ.forEach(s -> bodies.add(utf8(s)));
        bodies.add(new byte[] {'{', '"', 'a', '"', ':', '"', (byte) 0xc3, (byte) 0xa9, '"', '}'});
        for (byte[] body : bodies) {
            Json.Document bytes = Json.BytesTree.document(body, "model", true);
            assertThat(bytes).as(new String(body, StandardCharsets.UTF_8)).isNotNull();
            assertSame(bytes, Json.withJackson(body, "model", true));
            assertSame(Json.BytesTree.document(body, "model", false), Json.withJackson(body, "model", false));
            if (bytes.spanFrom() >= 0) {
                assertThat(bytes.with("upstream \"x\"")).isEqualTo(Json.withJackson(body, "model", true).with("upstream \"x\""));
            }
        }
    }

    @Test
    void whatTheBytesAreUnsureOfIsJacksons() {
        List<byte[]> bodies = new ArrayList<>();
        LEFT.forEach(s -> bodies.add(utf8(s)));
        bodies.add(new byte[] {'{', '"', 'a', '"', ':', '"', (byte) 0xc3, '"', '}'}); // malformed UTF-8
        bodies.add(new byte[] {'{', '"', 'a', '"', ':', '"', (byte) 0xed, (byte) 0xa0, (byte) 0x80, '"', '}'}); // a surrogate in UTF-8
        bodies.add("{\"a\":1}".getBytes(StandardCharsets.UTF_16BE));
        bodies.add("{\"a\":1}".getBytes(StandardCharsets.UTF_16LE));
        for (byte[] body : bodies) {
            String what = new String(body, StandardCharsets.UTF_8);
            assertThat(Json.BytesTree.document(body, "model", true)).as(what).isNull();
            Object jackson;
            try {
                jackson = Json.withJackson(body, "model", true);
            } catch (ApiException e) {
                jackson = e;
            }
            if (jackson instanceof ApiException refused) {
                assertThatThrownBy(() -> Json.document(body, "model")).as(what).isInstanceOfSatisfying(ApiException.class, e -> {
                    assertThat(e.getMessage()).isEqualTo(refused.getMessage());
                    assertThat(e.param()).isEqualTo(refused.param());
                });
            } else {
                assertSame(Json.document(body, "model"), (Json.Document) jackson);
            }
        }
    }

    /** The same values, of the same classes (a Long is not a Double), the same span and read-only-ness. */
    private static void assertSame(Json.Document actual, Json.Document expected) {
        assertThat(actual.object()).isEqualTo(expected.object());
        assertThat(classes(actual.object())).isEqualTo(classes(expected.object()));
        assertThat(actual.spanFrom()).isEqualTo(expected.spanFrom());
        assertThat(actual.spanTo()).isEqualTo(expected.spanTo());
        assertThat(actual.bytes()).isSameAs(expected.bytes());
    }

    private static Object classes(Object value) {
        if (value instanceof Map<?, ?> map) {
            List<Object> out = new ArrayList<>(List.of(map.getClass()));
            map.forEach((k, v) -> out.add(List.of(k, String.valueOf(classes(v)))));
            return out;
        }
        if (value instanceof List<?> list) {
            List<Object> out = new ArrayList<>(List.of(list.getClass()));
            list.forEach(v -> out.add(classes(v)));
            return out;
        }
        return value == null ? "null" : value.getClass();
    }
}
