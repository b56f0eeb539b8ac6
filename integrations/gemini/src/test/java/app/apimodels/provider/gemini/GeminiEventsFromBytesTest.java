package app.apimodels.provider.gemini;

import app.apimodels.json.ChatChunks;
import app.apimodels.json.JsonMappers;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A Gemini stream event read from its bytes gives what its tree gives (the text, the usage billed,
 * the OpenAI chunk passed on, byte for byte), or is left to the tree: never a different text or usage.
 */
class GeminiEventsFromBytesTest {

    private static final ObjectMapper MAPPER = JsonMappers.create();
    private static final String ID = "chatcmpl-resp\"1";
    private static final String MODEL = "gemini-\u00e9";
    private static final long CREATED = 1_700_000_000L;

    /** What the tree reading passes on for a later event of a stream: text, usage and chunk; or why it is not an event that only adds text. */
    private static String tree(String json) throws IOException {
        JsonNode event = MAPPER.readTree(json.getBytes(StandardCharsets.UTF_8));
        if (event == null || !event.isObject() || event.get("error") != null && event.get("error").isObject()) {
            return "not plain";
        }
        Answers answers = new Answers(MAPPER);
        Answers.Turn turn = answers.turn(event, 0);
        if (!turn.toolCalls().isEmpty() || turn.finishReason() != null) {
            return "not plain";
        }
        return describe(turn.text(), Answers.usage(event), MAPPER.writeValueAsBytes(answers.chunk(event, turn, ID, MODEL, CREATED, false)));
    }

    private static String bytes(String json) {
        byte[] lent = (json + "left over from a longer event before").getBytes(StandardCharsets.UTF_8); // as the parser lends it
        GeminiStream.Plain plain = GeminiStream.plain(lent, json.getBytes(StandardCharsets.UTF_8).length);
        return plain == null ? null : describe(plain.text(), plain.usage(),
                GeminiStream.chunk(new ChatChunks(ID, CREATED, MODEL), plain.text()));
    }

    private static String describe(String text, Object usage, byte[] chunk) {
        return "text=" + text + " usage=" + usage + " chunk=" + new String(chunk, StandardCharsets.UTF_8);
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "{\"candidates\":[{\"content\":{\"parts\":[{\"text\":\" fox\"}],\"role\":\"model\"},\"index\":0}],"
                    + "\"usageMetadata\":{\"promptTokenCount\":9,\"candidatesTokenCount\":3,\"totalTokenCount\":12},"
                    + "\"modelVersion\":\"gemini-2.5-flash\",\"responseId\":\"abc\"}",
            "{\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"a \\\"q\\\" \\n\\t\\\\ \\/ \\b\\f\\r\"},{\"text\":\"caf\u00e9 \u65e5\u672c\"}]}}]}",
            "{\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"\\u00e9\\u65e5\\u0000\\u001f\"}]}}]}",
            "{\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"thinking\",\"thought\":true},{\"text\":\"said\",\"thought\":false},"
                    + "{\"text\":\"plain\",\"thought\":null,\"thoughtSignature\":\"c2ln\"}]}}]}",
            "{\"candidates\":[{\"content\":{\"parts\":[{\"text\":null},{\"text\":5},{\"inlineData\":{\"mimeType\":\"image/png\"}},\"odd\",7]}}]}",
            "{\"candidates\":[{\"content\":{\"parts\":[]},\"finishReason\":null,\"safetyRatings\":[{\"category\":\"HARM\",\"blocked\":false}]}]}",
            "{\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"first only\"}]}},{\"content\":{\"parts\":[{\"text\":\"second\"}]},"
                    + "\"finishReason\":\"STOP\"}]}",
            "{\"candidates\":[],\"usageMetadata\":{\"promptTokenCount\":9}}",
            "{\"candidates\":[{\"index\":0}]}",
            "{\"candidates\":[\"not an object\"]}",
            "{\"usageMetadata\":{\"promptTokenCount\":10,\"toolUsePromptTokenCount\":2,\"cachedContentTokenCount\":4,"
                    + "\"candidatesTokenCount\":7,\"thoughtsTokenCount\":30,\"totalTokenCount\":49,"
                    + "\"promptTokensDetails\":[{\"modality\":\"TEXT\",\"tokenCount\":10}]}}",
            "{\"usageMetadata\":{}}",
            "{\"usageMetadata\":{\"promptTokenCount\":999999999,\"candidatesTokenCount\":0}}",
            "{\"unknown\":{\"deep\":[1,2.5,-3e4,true,false,null]},\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"x\"}],\"x\":[]}}]}",
            "{}",
            " \r\n\t{ \"candidates\" : [ { \"content\" : { \"parts\" : [ { \"text\" : \"spaced\" } ] } } ] } ",
    })
    void theUsualEventsAreReadFromTheirBytesAsTheTreeReadsThem(String json) throws IOException {
        assertThat(bytes(json)).isNotNull().isEqualTo(tree(json));
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "{\"candidates\":[{\"content\":{\"parts\":[{\"text\":\".\"}]},\"finishReason\":\"STOP\"}],\"usageMetadata\":{\"promptTokenCount\":9}}",
            "{\"candidates\":[{\"content\":{\"parts\":[{\"functionCall\":{\"name\":\"f\",\"args\":{}}}]}}]}",
            "{\"promptFeedback\":{\"blockReason\":\"SAFETY\"}}",
            "{\"error\":{\"code\":429,\"status\":\"RESOURCE_EXHAUSTED\"}}",
            "{\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"emoji \ud83d\ude00\"}]}}]}",
            "{\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"a\",\"text\":\"b\"}]}}]}",
            "{\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"a\",\"thought\":\"true\"}]}}]}",
            "{\"candidates\":[{\"content\":{\"parts\":{\"text\":\"parts as an object\"}}}]}",
            "{\"candidates\":{\"0\":{}}}",
            "{\"candidates\":[],\"candidates\":[]}",
            "{\"usageMetadata\":{\"promptTokenCount\":\"9\"}}",
            "{\"usageMetadata\":{\"promptTokenCount\":1.5}}",
            "{\"usageMetadata\":{\"promptTokenCount\":1234567890}}",
            "{\"usageMetadata\":{\"promptTokenCount\":1,\"promptTokenCount\":2}}",
            "{\"usageMetadata\":null}",
            "{\"usageMetadata\":{\"prompt\\u0054okenCount\":9}}",
            "{\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"cut",
            "{\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"raw \n control\"}]}}]}",
            "[]",
    })
    void anythingElseIsLeftToTheTree(String json) {
        assertThat(bytes(json)).isNull();
    }

    @Test
    void aMockStreamsEventsAreReadFromTheirBytes() throws IOException {
        String later = "{\"candidates\":[{\"content\":{\"role\":\"model\",\"parts\":[{\"text\":\" brown\"}]},\"index\":0}],"
                + "\"usageMetadata\":{\"promptTokenCount\":11,\"candidatesTokenCount\":4,\"totalTokenCount\":15},"
                + "\"modelVersion\":\"gemini-mock-001\",\"responseId\":\"mock-response\"}";
        assertThat(bytes(later)).contains("usage=Usage[").isEqualTo(tree(later));
    }
}
