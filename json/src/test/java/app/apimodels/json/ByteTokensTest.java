package app.apimodels.json;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * A document read from its bytes gives Jackson's tokens, names, strings and small integers, or
 * leaves the document to Jackson (providers' stream readings are tested on top of this in their modules).
 */
class ByteTokensTest {

    private static final ObjectMapper MAPPER = JsonMappers.create();

    /** Every token with what a reader can ask of it: its name, its text, its int. */
    private static List<String> jackson(String json) throws IOException {
        List<String> seen = new ArrayList<>();
        try (JsonParser parser = MAPPER.createParser(json.getBytes(StandardCharsets.UTF_8))) {
            for (JsonToken t = parser.nextToken(); t != null; t = parser.nextToken()) {
                seen.add(t + switch (t) {
                    case FIELD_NAME -> " " + parser.currentName();
                    case VALUE_STRING -> " " + parser.getText();
                    case VALUE_NUMBER_INT -> parser.getNumberType() == JsonParser.NumberType.INT ? " " + parser.getIntValue() : "";
                    default -> "";
                });
            }
        }
        return seen;
    }

    /** The same from the bytes; names are compared with Jackson's, as callers compare them. */
    private static List<String> bytes(String json, List<String> expected) {
        List<String> seen = new ArrayList<>();
        ByteTokens tokens = new ByteTokens(json.getBytes(StandardCharsets.UTF_8));
        for (JsonToken t = tokens.next(); t != null; t = tokens.next()) {
            String detail = "";
            if (t == JsonToken.FIELD_NAME) {
                String name = expected.get(seen.size()).substring("FIELD_NAME ".length());
                detail = tokens.nameIs(name) ? " " + name : " (not " + name + ")";
            } else if (t == JsonToken.VALUE_STRING) {
                detail = " " + tokens.text();
            } else if (t == JsonToken.VALUE_NUMBER_INT && expected.get(seen.size()).contains(" ")) {
                detail = " " + tokens.intValue();
            }
            seen.add(t + detail);
        }
        return seen;
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\" fox\"}}",
            "{\"a\":\"a \\\"quoted\\\" line\\nnext\\ttab \\\\ \\/ \\b\\f\\r\",\"b\":\"caf\u00e9 \u65e5\u672c \ud83d\ude00\"}",
            "{\"u\":\"\\u00e9\\u65e5\\ud83d\\ude00\\u0041\\u0000\",\"lone\":\"\\ud83d\"}",
            "{\"n\":[-0,0,7,-12,123456789,-123456789,1.5e-3,2E+10,-12.25,1e2],\"t\":true,\"f\":false,\"z\":null}",
            "{\"big\":[999999999,-999999999,12345678901234567890,-9223372036854775809],\"e\":{},\"a\":[],\"x\":[[{}],[[]]]}",
            " \r\n\t{ \"a\" : [ 1 , { \"b\" : \"c\" } ] , \"a\" : null } ",
            "{\"unknown\":{\"deep\":[{\"deeper\":[\"x\",1,null,{\"y\":false}]}]},\"type\":\"x\"}",
            "[1,\"two\",{\"three\":3}]",
            "\"only a string\"",
            "42",
            "null",
    })
    void tokensAreJacksons(String json) throws IOException {
        List<String> expected = jackson(json);
        assertThat(bytes(json, expected)).isEqualTo(expected);
    }

    @ParameterizedTest
    @ValueSource(strings = {"{\"i\":1234567890}", "{\"i\":-1234567890}", "{\"i\":2147483647}", "{\"i\":-2147483648}", "{\"i\":1.0}", "{\"i\":1e3}", "{\"i\":\"1\"}"})
    void onlyIntegersOfAtMostNineDigitsAreReadAsInts(String json) {
        ByteTokens tokens = new ByteTokens(json.getBytes(StandardCharsets.UTF_8));
        tokens.next();
        tokens.next();
        tokens.next();
        assertThatThrownBy(tokens::intValue).isSameAs(ByteTokens.UNSURE);
    }

    @ParameterizedTest
    @ValueSource(strings = {"{\"a\":01}", "{\"a\":1.}", "{\"a\":+1}", "{\"a\":nul}", "{\"a\":[1,]}", "{\"a\":1,}", "{'a':1}",
            "{\"a\":\"\\q\"}", "{\"a\":\"\\u12\"}", "{\"a\":\"raw \n control\"}", "{\"\\u0061\":1}", "{\"a\":1 // c\n}",
            "{\"a\":\"cut", "{\"a\":1", "{\"a\" 1}"})
    void anythingElseIsLeftToJackson(String json) {
        ByteTokens tokens = new ByteTokens(json.getBytes(StandardCharsets.UTF_8));
        assertThatThrownBy(() -> {
            while (tokens.next() != null) {
                tokens.skipChildren();
            }
        }).isSameAs(ByteTokens.UNSURE);
    }

    @Test
    void tokensReadAgainAreAsNewWhereverTheLastReadingStopped() throws IOException {
        ByteTokens again = new ByteTokens(new byte[0]);
        String good = "{\"a\":[1,{\"b\":\"c\u00e9\"}],\"d\":null}";
        byte[] lent = (good + "{\"left\":\"over\"}").getBytes(StandardCharsets.UTF_8);
        int length = good.getBytes(StandardCharsets.UTF_8).length;
        for (String before : new String[] {"{\"a\":[[[", "{\"cut", "[1,2", "{\"x\":tru"}) {
            assertThat(again.readAgain(before.getBytes(StandardCharsets.UTF_8), before.length(), ByteTokensTest::all)).isNull();
            assertThat(again.readAgain(lent, length, ByteTokensTest::all)).isEqualTo(jackson(good));
        }
    }

    /** Every token of a document with its text (names compared as Jackson reads them in {@link #tokensAreJacksons}). */
    private static List<String> all(ByteTokens tokens) {
        List<String> seen = new ArrayList<>();
        for (JsonToken t = tokens.next(); t != null; t = tokens.next()) {
            seen.add(t + (t == JsonToken.VALUE_STRING ? " " + tokens.text() : t == JsonToken.FIELD_NAME ? " " + name(tokens)
                    : t == JsonToken.VALUE_NUMBER_INT ? " " + tokens.intValue() : ""));
        }
        return seen;
    }

    private static String name(ByteTokens tokens) {
        for (String name : new String[] {"a", "b", "d"}) {
            if (tokens.nameIs(name)) {
                return name;
            }
        }
        return "?";
    }
}
