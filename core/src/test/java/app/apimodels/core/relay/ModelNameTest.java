package app.apimodels.core.relay;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;

class ModelNameTest {

    private static String rewrite(String json, String upstream, String publicName) {
        return new String(ModelName.rewrite(json.getBytes(StandardCharsets.UTF_8), upstream, publicName), StandardCharsets.UTF_8);
    }

    @Test
    void replacesTheModelMemberWhateverTheSpacing() {
        assertThat(rewrite("{\"id\":\"x\",\"model\":\"gpt-4o-mini-2024-07-18\",\"choices\":[]}", "gpt-4o-mini-2024-07-18", "my-model"))
                .isEqualTo("{\"id\":\"x\",\"model\":\"my-model\",\"choices\":[]}");
        assertThat(rewrite("{\"model\" :  \"up\", \"n\": 1}", "up", "pub")).isEqualTo("{\"model\" :  \"pub\", \"n\": 1}");
    }

    @Test
    void leavesEverythingElseAlone() {
        String json = "{\"content\":\"the model is up\",\"modelx\":\"up\",\"model\":\"other\"}";
        assertThat(rewrite(json, "up", "pub")).isEqualTo(json);
        assertThat(rewrite("{\"model\":\"up\"}", "up", "up")).isEqualTo("{\"model\":\"up\"}");
        assertThat(rewrite("{\"model\":\"upstream\"}", "up", "pub")).isEqualTo("{\"model\":\"upstream\"}");
        assertThat(rewrite("{\"model\":\"up\"}", "up", "we\"ird")).isEqualTo("{\"model\":\"we\\\"ird\"}");
    }

    @Test
    void namesBeyondPlainAsciiAreMatchedAndWrittenAsJson() {
        assertThat(rewrite("{\"model\":\"mod\u00e8le\",\"n\":1}", "mod\u00e8le", "caf\u00e9\tx"))
                .isEqualTo("{\"model\":\"caf\u00e9\\tx\",\"n\":1}");
        assertThat(rewrite("{\"model\":\"up\"}", "up", "a\\b")).isEqualTo("{\"model\":\"a\\\\b\"}");
        assertThat(rewrite("{\"model\":\"u\"", "up", "pub")).as("cut short").isEqualTo("{\"model\":\"u\"");
    }

    @Test
    void writesAStreamedChunksWholeEventInOneGo() {
        byte[] head = "data: ".getBytes(StandardCharsets.UTF_8);
        byte[] tail = "\n\n".getBytes(StandardCharsets.UTF_8);
        byte[] chunk = "{\"model\":\"up\",\"choices\":[]}".getBytes(StandardCharsets.UTF_8);
        assertThat(new String(ModelName.rewrite(head, chunk, "up", "pub", tail), StandardCharsets.UTF_8))
                .isEqualTo("data: {\"model\":\"pub\",\"choices\":[]}\n\n");
        assertThat(new String(ModelName.rewrite(head, chunk, "up", "we\"ird", tail), StandardCharsets.UTF_8))
                .isEqualTo("data: {\"model\":\"we\\\"ird\",\"choices\":[]}\n\n");
        assertThat(new String(ModelName.rewrite(head, chunk, "up", "up", tail), StandardCharsets.UTF_8))
                .isEqualTo("data: {\"model\":\"up\",\"choices\":[]}\n\n");
        assertThat(new String(ModelName.rewrite(head, chunk, "other", "pub", tail), StandardCharsets.UTF_8))
                .isEqualTo("data: {\"model\":\"up\",\"choices\":[]}\n\n");
        assertThat(ModelName.rewrite(new byte[0], chunk, "other", "pub", new byte[0])).as("nothing to change: not copied").isSameAs(chunk);
    }
}
