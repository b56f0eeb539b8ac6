package app.apimodels.provider.openai;

import app.apimodels.json.JsonMappers;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A Responses API event read from its bytes gives what its tree gives (type and counted text), or
 * is left to the tree: never a different text, and never an event that ends the stream, reports
 * an error or carries the usage (those are read as a tree only).
 */
class ResponsesEventsFromBytesTest {

    private static final ObjectMapper MAPPER = JsonMappers.create();

    /** What the tree reading passes on as an ordinary event, or null (malformed, error, terminal). */
    private static ResponsesStream.Plain tree(String json) {
        JsonNode event;
        try {
            event = MAPPER.readTree(json.getBytes(StandardCharsets.UTF_8));
        } catch (IOException e) {
            return null;
        }
        if (event == null || !event.isObject() || !event.path("type").isTextual()) {
            return null;
        }
        String type = event.get("type").asText();
        if (Set.of("error", "response.completed", "response.incomplete", "response.failed").contains(type)) {
            return null;
        }
        return new ResponsesStream.Plain(type, ResponsesStream.text(type, event));
    }

    private static ResponsesStream.Plain bytes(String json) {
        return ResponsesStream.plain(json.getBytes(StandardCharsets.UTF_8));
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "{\"type\":\"response.output_text.delta\",\"item_id\":\"msg_1\",\"output_index\":0,\"content_index\":0,\"delta\":\" fox\","
                    + "\"logprobs\":[],\"sequence_number\":5}",
            "{\"sequence_number\":5,\"delta\":\"type comes last\",\"type\":\"response.output_text.delta\"}",
            "{\"type\":\"response.refusal.delta\",\"delta\":\"a \\\"quoted\\\" line\\nnext\\ttab \\\\ \\/ \\b\\f\\r\"}",
            "{\"type\":\"response.reasoning_summary_text.delta\",\"delta\":\"caf\u00e9 \u65e5\u672c \ud83d\ude00\"}",
            "{\"type\":\"response.function_call_arguments.delta\",\"delta\":\"{\\\"city\\\":\\\"\\u00e9\\u65e5\\ud83d\\ude00\\\"}\"}",
            "{\"type\":\"response.output_text.delta\",\"delta\":null}",
            "{\"type\":\"response.output_text.delta\",\"delta\":{\"text\":\"not a string\"}}",
            "{\"type\":\"response.output_text.delta\",\"delta\":7}",
            "{\"type\":\"response.output_text.delta\"}",
            "{\"type\":\"response.output_text.delta\",\"delta\":\"first\",\"delta\":\"last\"}",
            "{\"type\":\"response.output_text.delta\",\"delta\":\"first\",\"delta\":null}",
            "{\"type\":\"response.in_progress\",\"delta\":\"not text of this type\"}",
            "{\"type\":\"response.created\",\"response\":{\"id\":\"resp_1\",\"status\":\"in_progress\",\"output\":[],\"usage\":null}}",
            "{\"type\":\"response.output_item.added\",\"item\":{\"type\":\"message\",\"content\":[{\"x\":[1,2.5,-3e4,true,false,null]}]}}",
            "{\"type\":\"response.future_event\",\"unknown\":{\"deep\":[[[{}]]]}}",
            "{\"type\":\"response.output_text.done\",\"text\":\"the whole text\"}",
            " \r\n\t{ \"type\" : \"response.output_text.delta\" , \"delta\" : \"spaced\" } ",
    })
    void theUsualEventsAreReadFromTheirBytesAsTheTreeReadsThem(String json) {
        assertThat(bytes(json)).isNotNull().isEqualTo(tree(json));
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "{\"type\":\"response.completed\",\"response\":{\"usage\":{\"input_tokens\":9,\"output_tokens\":16}}}",
            "{\"type\":\"response.incomplete\",\"response\":{\"usage\":{\"input_tokens\":9,\"output_tokens\":16}}}",
            "{\"type\":\"response.failed\",\"response\":{\"error\":{\"code\":\"server_error\"}}}",
            "{\"type\":\"error\",\"code\":\"rate_limit_exceeded\",\"message\":\"slow down\"}",
            "{\"type\":\"response.output_text.delta\",\"type\":\"error\",\"message\":\"the last type counts\"}",
            "{\"type\":\"response.output_text.delta\",\"type\":null}",
            "{\"type\":7,\"delta\":\"x\"}",
            "{\"delta\":\"no type\"}",
            "{\"ty\\u0070e\":\"response.output_text.delta\",\"delta\":\"escaped name\"}",
            "{\"type\":\"response.output_text.delta\",\"delta\":\"cut",
            "{\"type\":\"response.output_text.delta\",\"delta\":\"x\",}",
            "{\"type\":\"response.output_text.delta\",\"delta\":\"raw \n control\"}",
            "{\"type\":\"response.output_text.delta\",\"n\":01}",
            "[\"response.output_text.delta\"]",
            "\"response.output_text.delta\"",
            "null",
    })
    void anythingElseIsLeftToTheTree(String json) {
        assertThat(bytes(json)).isNull();
    }

    @Test
    void deepNestingIsLeftToTheTree() {
        assertThat(bytes("{\"type\":\"response.output_text.delta\",\"x\":" + "[".repeat(70) + "]".repeat(70) + "}")).isNull();
    }

    @ParameterizedTest
    @ValueSource(strings = {"\"\\ud83d\"", "\"\\u0000\"", "\"\\uD83D\\uDE00\"", "\"\\uffff\""})
    void escapesDecodeAsJacksonDecodesThem(String delta) {
        String json = "{\"type\":\"response.output_text.delta\",\"delta\":" + delta + "}";
        assertThat(bytes(json)).isEqualTo(tree(json));
    }
}
