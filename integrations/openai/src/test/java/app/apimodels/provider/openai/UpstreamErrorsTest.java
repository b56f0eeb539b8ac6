package app.apimodels.provider.openai;

import app.apimodels.spi.provider.ProviderException;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;

class UpstreamErrorsTest {

    private static final String KEY = "gsk_Zq81LmT0pX";
    private final UpstreamErrors errors = new UpstreamErrors(new ObjectMapper(), KEY);

    @Test
    void keysTokensAndHashesAreRedacted() {
        String scrubbed = errors.scrub("key " + KEY + ", sk-proj-********************abcd, Authorization: Bearer eyJhbGciOi.x.y, "
                + "token AIzaSyD4c9W0m1xQe7Yk2lP8s3Vn6Rb5Tj0hUoIqE, sha 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b");

        assertThat(scrubbed).doesNotContain(KEY, "sk-proj", "eyJhbGciOi", "AIzaSyD4c9W0m1xQe7Yk2lP8s3Vn6Rb5Tj0hUoIqE",
                "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b");
        assertThat(scrubbed).startsWith("key [redacted], [redacted], Authorization: [redacted]");
    }

    @Test
    void ordinaryWordsAndModelNamesStay() {
        String message = "This model's maximum context length is 8192 tokens (meta-llama/Llama-3.1-8B-Instruct).";

        assertThat(errors.scrub(message)).isEqualTo(message);
    }

    @Test
    void longMessagesAreCut() {
        assertThat(errors.scrub("word ".repeat(500))).hasSizeLessThanOrEqualTo(501);
    }

    @Test
    void flatErrorDocumentsOfOtherServersAreUnderstood() {
        ProviderException fastApi = errors.forStatus(422, bytes("{\"detail\":\"messages: field required\"}"));
        ProviderException bare = errors.forStatus(400, bytes("{\"error\":\"context too long\"}"));
        ProviderException notJson = errors.forStatus(400, bytes("<html>Bad Request</html>"));

        assertThat(fastApi.getMessage()).isEqualTo("messages: field required");
        assertThat(bare.getMessage()).isEqualTo("context too long");
        assertThat(notJson.getMessage()).isEqualTo("upstream rejected the request (HTTP 400)");
        assertThat(notJson.kind()).isEqualTo(ProviderException.Kind.INVALID_REQUEST);
    }

    @Test
    void accountProblemsAreTheGatewaysNotTheClients() {
        assertThat(errors.forStatus(402, bytes("{\"error\":{\"message\":\"Insufficient Balance\"}}")).kind())
                .isEqualTo(ProviderException.Kind.UPSTREAM_CONFIG);
    }

    private static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }
}
