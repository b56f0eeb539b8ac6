package app.apimodels.core.web;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class JsonTest {

    private static ApiException refused(String body) {
        ApiException e = assertThrows(ApiException.class, () -> Json.object(body.getBytes(StandardCharsets.UTF_8)));
        assertEquals(400, e.status());
        assertFalse(e.getMessage().matches("(?s).*(com\\.fasterxml|Jackson|DeserializationFeature|StreamReadConstraints|Exception).*"),
                e.getMessage());
        return e;
    }

    @Test
    void deepNestingIsA400NamingTheLimit() {
        assertTrue(refused("[".repeat(5000)).getMessage().contains("nested deeper than 128 levels"));
        assertTrue(refused("{\"a\":" + "[".repeat(200) + "]".repeat(200) + "}").getMessage().contains("nested deeper"));
        String ok = "{\"a\":" + "[".repeat(100) + "]".repeat(100) + "}";
        assertTrue(Json.object(ok.getBytes(StandardCharsets.UTF_8)).containsKey("a"));
    }

    @Test
    void hugeNumbersAreRefused() {
        ApiException inf = refused("{\"price\":{\"x\":1e400}}");
        assertEquals("price.x", inf.param());
        assertTrue(inf.getMessage().contains("price.x is out of range"));
        assertTrue(refused("{\"n\":" + "9".repeat(500) + "}").getMessage().contains("a number is longer than 100"));
        assertEquals("a[1]", refused("{\"a\":[1,-1e999]}").param());
        assertEquals(java.math.BigInteger.ONE.shiftLeft(63), Json.object("{\"n\":9223372036854775808}".getBytes(StandardCharsets.UTF_8)).get("n"));
        assertEquals(Map.of("a", java.util.List.of(1L, Long.MAX_VALUE)),
                Json.object("{\"a\":[1,9223372036854775807]}".getBytes(StandardCharsets.UTF_8)));
    }

    @Test
    void nulInAStringOrNameIsRefusedNamingTheField() {
        ApiException e = refused("{\"messages\":[{\"content\":\"a\\u0000b\"}]}");
        assertEquals("messages[0].content", e.param());
        assertTrue(e.getMessage().contains("NUL"));
        assertEquals("x?", refused("{\"x\\u0000\":1}").param());
    }

    @Test
    void malformedAndTrailingContentUseOurWords() {
        assertTrue(refused("{\"a\":1} {\"b\":2}").getMessage().contains("unexpected content after the JSON value"));
        assertTrue(refused("{\"a\":").getMessage().contains("request body is not valid JSON"));
        assertTrue(refused("{'a':1}").getMessage().contains("malformed JSON (line 1, column"));
        assertTrue(refused("[1]").getMessage().contains("must be a JSON object"));
        assertEquals(Map.of("a", 1L), Json.object("{\"a\":1}".getBytes(StandardCharsets.UTF_8)));
    }

    @Test
    void aNameGivenTwiceInAnyObjectIsRefusedNamingIt() {
        assertEquals("a", refused("{\"a\":null,\"a\":null}").param());
        assertEquals("x.b[1].c", refused("{\"x\":{\"b\":[{},{\"c\":1,\"d\":2,\"c\":3}]}}").param());
        assertEquals(Map.of("a", Map.of("a", 1L)), Json.object("{\"a\":{\"a\":1}}".getBytes(StandardCharsets.UTF_8)));
    }

    @Test
    void aDocumentReplacesOnlyTheSpannedValue() {
        String body = "{\"n\":{\"model\":\"inner\"}, \"model\" :\"caf\\u00e9\" ,\"x\":1.50}";
        Json.Document doc = Json.document(body.getBytes(StandardCharsets.UTF_8), "model");
        assertEquals("café", doc.object().get("model"));
        assertEquals("{\"n\":{\"model\":\"inner\"}, \"model\" :\"up/\\\"m\\\"\u00e9\" ,\"x\":1.50}",
                new String(doc.with("up/\"m\"\u00e9"), StandardCharsets.UTF_8));
        assertEquals(-1, Json.document("{\"model\":1}".getBytes(StandardCharsets.UTF_8), "model").spanFrom());
    }
}
