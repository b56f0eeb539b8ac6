package app.apimodels.provider.openai;

import app.apimodels.spi.http.HttpResponseData;
import app.apimodels.spi.provider.Operation;
import app.apimodels.spi.provider.TaskOutput;
import app.apimodels.spi.provider.TaskRequest;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/** Reading answers, beyond what the wire tests in {@link OpenAiMediaTestBase} show. */
class ImagesTest {

    private final ObjectMapper mapper = new ObjectMapper();
    private final Images images = new Images(mapper, new UpstreamErrors(mapper, "sk-test"));

    @Test
    void imagesLargerThanJacksonsStringLimitAreDecoded() throws Exception {
        byte[] image = new byte[16 * 1024 * 1024]; // ~22 million base64 characters; Jackson's default limit is 20 million
        new Random(7).nextBytes(image);
        String body = "{\"created\":1,\"data\":[{\"b64_json\":\"" + Base64.getEncoder().encodeToString(image) + "\"}]}";

        List<TaskOutput> outputs = images.read(answer(body), request(Map.of())).outputs();

        assertThat(outputs).singleElement().satisfies(output -> assertThat(output.data()).isEqualTo(image));
    }

    @Test
    void theAnswersOutputFormatNamesTheTypeElseTheRequestedOne() throws Exception {
        String plain = "{\"data\":[{\"b64_json\":\"AQID\"}]}";
        String webp = "{\"data\":[{\"b64_json\":\"AQID\"}],\"output_format\":\"webp\"}";

        assertThat(contentType(plain, Map.of())).as("DALL·E says nothing: the engine sniffs").isNull();
        assertThat(contentType(plain, Map.of("output_format", "jpeg"))).isEqualTo("image/jpeg");
        assertThat(contentType(webp, Map.of("output_format", "jpeg"))).isEqualTo("image/webp");
    }

    @Test
    void base64WinsOverALinkInTheSameImage() throws Exception {
        TaskOutput output = images.read(answer("{\"data\":[{\"url\":\"https://example.com/i.png\",\"b64_json\":\"AQID\"},"
                + "{\"url\":\"https://example.com/j.png\",\"b64_json\":null}]}"), request(Map.of())).outputs().get(0);

        assertThat(output.data()).containsExactly(1, 2, 3);
    }

    private String contentType(String body, Map<String, Object> input) throws Exception {
        return images.read(answer(body), request(input)).outputs().get(0).contentType();
    }

    private static HttpResponseData answer(String body) {
        return new HttpResponseData(200, Map.of("content-type", "application/json"), body.getBytes(StandardCharsets.UTF_8));
    }

    private static TaskRequest request(Map<String, Object> input) {
        return new TaskRequest(Operation.IMAGES, "gpt-image-1", input, List.of(), null);
    }
}
