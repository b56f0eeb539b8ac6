package app.apimodels.json;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.assertj.core.api.Assertions.assertThat;

/** A text chunk written straight to bytes is the one Jackson writes for the same chunk as a tree. */
class ChatChunksTest {

    private static final ObjectMapper MAPPER = JsonMappers.create();

    private static ObjectNode tree(String id, long created, String model) {
        ObjectNode chunk = MAPPER.createObjectNode().put("id", id).put("object", "chat.completion.chunk")
                .put("created", created).put("model", model);
        ObjectNode choice = chunk.putArray("choices").addObject();
        choice.put("index", 0);
        choice.putObject("delta");
        choice.putNull("finish_reason");
        return chunk;
    }

    @ParameterizedTest
    @ValueSource(strings = {" fox", "", "a \"quoted\" line\nnext\ttab \\ / \b\f\r", "caf\u00e9 \u65e5\u672c",
            "\u0000\u0001\u001f\u007f\u0080\u2028\u2029", "</script><!-- & ' \u00a0", "{\"partial\": [1, 2", "plain ASCII ~!@#$%^&*()_+`-=[]{}|;:,.<>?/ 0123456789 \u007f"})
    void textChunksAreJacksons(String text) throws Exception {
        for (String field : new String[] {"content", "reasoning_content"}) {
            ObjectNode expected = tree("chatcmpl-msg_01\"x\u00e9", 1_700_000_000L, "claude-\u65e5");
            ((ObjectNode) expected.path("choices").path(0).path("delta")).put(field, text);
            assertThat(ChatChunks.writable(text)).isTrue();
            assertThat(new String(new ChatChunks("chatcmpl-msg_01\"x\u00e9", 1_700_000_000L, "claude-\u65e5").delta(field, text), "UTF-8"))
                    .isEqualTo(new String(MAPPER.writeValueAsBytes(expected), "UTF-8"));
        }
    }

    @Test
    void anEmptyDeltaIsJacksons() throws Exception {
        assertThat(new ChatChunks("", 0, "").empty()).isEqualTo(MAPPER.writeValueAsBytes(tree("", 0, "")));
    }

    @ParameterizedTest
    @ValueSource(strings = {"\ud83d\ude00", "caf\u00e9 \ud83d\ude00", "\ud83d", "x\ude00", "\ude00\ud83d", "end \ud83d"})
    void charactersBeyondTheBmpAreLeftToJackson(String text) {
        assertThat(ChatChunks.writable(text)).isFalse();
    }
}
