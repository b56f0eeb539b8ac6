package app.apimodels.provider.anthropic;

import app.apimodels.json.JsonMappers;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A content block delta read from its bytes says what its tree says (block index, delta type, the
 * text it adds), or is left to the tree; every other event (usage, errors, the end) is read as a tree.
 */
class DeltaFromBytesTest {

    private static final ObjectMapper MAPPER = JsonMappers.create();

    /** The delta the tree reading hands on, or null if it hands on none (malformed, another type). */
    private static AnthropicEvents.Delta tree(String json) throws IOException {
        JsonNode event = MAPPER.readTree(json.getBytes(StandardCharsets.UTF_8));
        return event != null && event.isObject() && event.path("type").asText().equals("content_block_delta")
                ? AnthropicEvents.Delta.of(event) : null;
    }

    private static AnthropicEvents.Delta bytes(String json) {
        byte[] lent = (json + "left over from a longer event before").getBytes(StandardCharsets.UTF_8); // as the parser lends it
        return AnthropicEvents.Delta.plain(lent, json.getBytes(StandardCharsets.UTF_8).length);
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\" fox\"}}",
            "{\"delta\":{\"text\":\"type last\",\"type\":\"text_delta\"},\"index\":12,\"type\":\"content_block_delta\"}",
            "{\"type\":\"content_block_delta\",\"index\":1,\"delta\":{\"type\":\"thinking_delta\",\"thinking\":\"hmm \\\"q\\\" \\n\\t\\\\\\/\"}}",
            "{\"type\":\"content_block_delta\",\"index\":2,\"delta\":{\"type\":\"input_json_delta\",\"partial_json\":\"{\\\"city\\\": \\\"Par\"}}",
            "{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"caf\u00e9 \u65e5\u672c \ud83d\ude00\"}}",
            "{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"\\u00e9\\u65e5\\ud83d\\ude00\\u0000\"}}",
            "{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"signature_delta\",\"signature\":\"EqQBCgIYAh\"}}",
            "{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"citations_delta\",\"citation\":{\"cited_text\":\"x\",\"n\":null}}}",
            "{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"thinking\":\"not this type's\"}}",
            "{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\"}}",
            "{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{}}",
            "{\"type\":\"content_block_delta\",\"delta\":{\"type\":\"text_delta\",\"text\":\"no index\"}}",
            "{\"type\":\"content_block_delta\",\"index\":-0,\"delta\":{\"type\":\"text_delta\",\"text\":\"minus zero\"}}",
            "{\"type\":\"content_block_delta\",\"index\":999999999,\"delta\":{\"type\":\"text_delta\",\"text\":\"nine digits\"}}",
            "{\"type\":\"content_block_delta\",\"index\":0,\"index\":3,\"delta\":{\"type\":\"text_delta\",\"text\":\"a\",\"text\":\"b\"}}",
            "{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"a\"},\"delta\":{\"type\":\"thinking_delta\"}}",
            "{\"type\":\"content_block_delta\",\"index\":0,\"unknown\":[1,2.5,-3e4,true,false,null,{\"x\":[]}],"
                    + "\"delta\":{\"type\":\"text_delta\",\"text\":\"x\",\"extra\":{\"y\":null}}}",
            " \r\n\t{ \"type\" : \"content_block_delta\" , \"index\" : 0 , \"delta\" : { \"type\" : \"text_delta\" , \"text\" : \"s\" } } ",
    })
    void theUsualDeltasAreReadFromTheirBytesAsTheTreeReadsThem(String json) throws IOException {
        assertThat(bytes(json)).isNotNull().isEqualTo(tree(json));
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "{\"type\":\"message_start\",\"message\":{\"id\":\"msg_1\",\"usage\":{\"input_tokens\":9,\"output_tokens\":1}}}",
            "{\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\"},\"usage\":{\"output_tokens\":16}}",
            "{\"type\":\"message_stop\"}",
            "{\"type\":\"ping\"}",
            "{\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":\"Overloaded\"}}",
            "{\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"text\",\"text\":\"\"}}",
            "{\"type\":\"content_block_delta\",\"type\":\"message_stop\"}",
            "{\"type\":null,\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"x\"}}",
            "{\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"no type\"}}",
            "{\"type\":\"content_block_delta\",\"index\":\"0\",\"delta\":{\"type\":\"text_delta\",\"text\":\"string index\"}}",
            "{\"type\":\"content_block_delta\",\"index\":1.0,\"delta\":{\"type\":\"text_delta\",\"text\":\"float index\"}}",
            "{\"type\":\"content_block_delta\",\"index\":2147483647,\"delta\":{\"type\":\"text_delta\",\"text\":\"ten digits\"}}",
            "{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":null}}",
            "{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":5}}",
            "{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":7,\"text\":\"x\"}}",
            "{\"type\":\"content_block_delta\",\"index\":0,\"delta\":\"not an object\"}",
            "{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"te\\u0078t\":\"escaped name\"}}",
            "{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"cut",
            "{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"raw \n control\"}}",
            "{\"type\":\"content_block_delta\",\"index\":00,\"delta\":{\"type\":\"text_delta\",\"text\":\"x\"}}",
            "[\"content_block_delta\"]",
    })
    void anythingElseIsLeftToTheTree(String json) {
        assertThat(bytes(json)).isNull();
    }
}
