package app.apimodels.provider.openai;

import app.apimodels.json.ByteTokens;
import app.apimodels.json.JsonMappers;
import app.apimodels.json.JsonTokens;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * A streamed chunk read from its bytes says what Jackson reads in it, or leaves it to Jackson:
 * never a different text, finish or usage (what the call is billed by when no usage comes).
 */
class ByteTokensTest {

    private static final ObjectMapper MAPPER = JsonMappers.create();

    /** What a reading of a chunk gave: its text, finish and whether it had usage or an error, or the failure. */
    private static String jackson(String json) {
        try (JsonParser parser = MAPPER.createParser(json.getBytes(StandardCharsets.UTF_8))) {
            return describe(StreamRelay.chunk(JsonTokens.of(parser)));
        } catch (IOException e) {
            return "malformed";
        }
    }

    private static String bytes(String json) throws IOException {
        return describe(StreamRelay.chunk(new ByteTokens(json.getBytes(StandardCharsets.UTF_8))));
    }

    private static String describe(StreamRelay.Chunk chunk) {
        return chunk == null ? "not an object"
                : "text=" + chunk.text + " finished=" + chunk.finished + " usage=" + chunk.usage + " error=" + chunk.error;
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "{\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"created\":1700000000,\"model\":\"m\",\"choices\":[{\"index\":0,"
                    + "\"delta\":{\"content\":\" fox\"},\"finish_reason\":null}]}",
            "{\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\"},\"logprobs\":null,\"finish_reason\":null}]}",
            "{\"choices\":[{\"delta\":{\"content\":\"a \\\"quoted\\\" line\\nnext\\ttab \\\\ \\/ \\b\\f\\r\"}}]}",
            "{\"choices\":[{\"delta\":{\"content\":\"caf\u00e9 \u65e5\u672c \ud83d\ude00\"}}]}",
            "{\"choices\":[{\"delta\":{\"content\":\"\\u00e9\\u65e5\\ud83d\\ude00\\u0041\"}}]}",
            "{\"choices\":[{\"delta\":{\"reasoning_content\":\"think\",\"content\":\"say\"},\"finish_reason\":\"stop\"}]}",
            "{\"choices\":[{\"delta\":{\"content\":\"a\"}},{\"delta\":{\"content\":\"b\"}},7,[1,{\"x\":[]}]],\"choices\":[]}",
            "{\"choices\":[{\"delta\":{\"content\":\"a\",\"content\":\"b\"},\"delta\":{}}]}",
            "{\"choices\":[{\"delta\":{\"content\":null,\"tool_calls\":[{\"index\":0,\"function\":{\"arguments\":\"{\\\"a\\\":1}\"}}]}}]}",
            " \r\n\t{ \"choices\" : [ { \"delta\" : { \"content\" : \"x\" } , \"finish_reason\" : \"length\" } ] } ",
            "{\"n\":[-0,1.5e-3,2E+10,-12.25,true,false,null,{}],\"choices\":[]}",
            "{\"error\":null,\"usage\":null,\"choices\":\"no\"}",
            "{\"choices\":[]}",
            "{}",
            "[]",
            "\"text\"",
    })
    void theUsualChunksAreReadFromTheirBytesAsJacksonReadsThem(String json) throws IOException {
        assertThat(bytes(json)).isEqualTo(jackson(json));
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "{\"choices\":[],\"usage\":{\"prompt_tokens\":9,\"completion_tokens\":16,\"total_tokens\":25}}",
            "{\"error\":{\"message\":\"overloaded\",\"type\":\"server_error\"}}",
            "{\"choices\":[{\"delta\":{\"content\":\"cut",
            "{\"choices\":[{\"delta\":{\"content\":\"x\"}}]",
            "{\"choices\":[01]}",
            "{\"choices\":[1.]}",
            "{\"choices\":[+1]}",
            "{\"choices\":[nul]}",
            "{\"choices\":[1,]}",
            "{\"a\":1,}",
            "{'a':1}",
            "{\"choices\":[{\"delta\":{\"content\":\"bad \\q escape\"}}]}",
            "{\"choices\":[{\"delta\":{\"content\":\"bad \\u12 escape\"}}]}",
            "{\"choices\":[{\"delta\":{\"content\":\"raw \n control\"}}]}",
            "{\"choices\":[{\"delta\":{\"con\\u0074ent\":\"escaped name\"}}]}",
            "{\"choices\":[{\"delta\":{\"content\":\"x\"}} // comment\n]}",
    })
    void anythingElseIsLeftToJackson(String json) {
        assertThatThrownBy(() -> bytes(json)).isSameAs(ByteTokens.UNSURE);
    }

    @Test
    void malformedUtf8IsLeftToJackson() {
        for (byte[] bad : new byte[][] {{(byte) 0xc3}, {(byte) 0xc3, 'x'}, {(byte) 0xc0, (byte) 0xaf}, {(byte) 0xed, (byte) 0xa0, (byte) 0x80},
                {(byte) 0xf4, (byte) 0x90, (byte) 0x80, (byte) 0x80}, {(byte) 0xff}, {(byte) 0x80}}) {
            byte[] json = new byte[bad.length + 2];
            json[0] = '"';
            System.arraycopy(bad, 0, json, 1, bad.length);
            json[json.length - 1] = '"';
            assertThatThrownBy(() -> new ByteTokens(json).next()).isSameAs(ByteTokens.UNSURE);
        }
    }

    @Test
    void deepNestingIsLeftToJackson() {
        String deep = "{\"choices\":" + "[".repeat(70) + "]".repeat(70) + "}";
        assertThatThrownBy(() -> bytes(deep)).isSameAs(ByteTokens.UNSURE);
        String shallow = "{\"choices\":[" + "[".repeat(50) + "]".repeat(50) + "]}";
        try {
            assertThat(bytes(shallow)).isEqualTo(jackson(shallow));
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }
}
