package app.apimodels.testkit;

import app.apimodels.spi.provider.Usage;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Base64;

import static org.assertj.core.api.Assertions.assertThat;

/** The mock speaks OpenAI's format, checked with a plain HTTP client. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class MockOpenAiUpstreamTest {

    private final MockOpenAiUpstream upstream = new MockOpenAiUpstream();
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    @BeforeEach
    void reset() {
        upstream.reset();
    }

    @AfterAll
    void close() {
        upstream.close();
    }

    @Test
    void completionCarriesTextAndUsage() throws Exception {
        upstream.usage(Usage.tokens(20, 8, 3));

        HttpResponse<String> response = post("/chat/completions", "{\"model\":\"m\",\"messages\":[]}");

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.body()).contains("\"content\":\"" + MockOpenAiUpstream.COMPLETION_TEXT + "\"",
                "\"prompt_tokens\":20", "\"completion_tokens\":3", "\"cached_tokens\":8");
    }

    @Test
    void streamReportsUsageOnlyWhenAskedTo() throws Exception {
        String plain = post("/chat/completions", "{\"model\":\"m\",\"stream\":true}").body();
        String withUsage = post("/chat/completions",
                "{\"model\":\"m\",\"stream\":true,\"stream_options\":{\"include_usage\":true}}").body();

        assertThat(plain).contains("\"delta\":{\"content\":\"Hello\"}", "\"finish_reason\":\"stop\"")
                .doesNotContain("usage").endsWith("data: [DONE]\n\n");
        assertThat(withUsage).contains("\"choices\":[],\"usage\":{\"prompt_tokens\":11")
                .endsWith("data: [DONE]\n\n");
    }

    @Test
    void omittedUsageAndCutStreamsLeaveOutWhatTheySay() throws Exception {
        String streamWithUsage = "{\"model\":\"m\",\"stream\":true,\"stream_options\":{\"include_usage\":true}}";

        upstream.omitStreamUsage();
        assertThat(post("/chat/completions", streamWithUsage).body()).doesNotContain("usage").contains("[DONE]");
        upstream.reset();
        upstream.cutStreams();
        assertThat(post("/chat/completions", streamWithUsage).body()).contains(" from")
                .doesNotContain(" the", "finish_reason\":\"stop", "[DONE]");
    }

    @Test
    void errorsHaveOpenAisShape() throws Exception {
        upstream.respondWithError(400, "bad temperature", "temperature");

        HttpResponse<String> response = post("/embeddings", "{\"input\":\"x\"}");

        assertThat(response.statusCode()).isEqualTo(400);
        assertThat(response.body()).contains("\"message\":\"bad temperature\"", "\"param\":\"temperature\"",
                "\"type\":\"invalid_request_error\"");
    }

    @Test
    void imagesComeAsBase64WithTokenUsage() throws Exception {
        upstream.usage(Usage.tokens(50, 0, 4160));

        for (String path : new String[] {"/images/generations", "/images/edits"}) {
            String answer = post(path, "{\"model\":\"gpt-image-1\",\"prompt\":\"a cat\"}").body();

            assertThat(answer).contains("\"data\":[{\"b64_json\":\"" + Base64.getEncoder().encodeToString(MockOpenAiUpstream.imagePng()) + "\"}]",
                    "\"output_format\":\"png\"", "\"input_tokens\":50", "\"output_tokens\":4160");
        }
    }

    @Test
    void imagesAsUrlsLinkToAServedImage() throws Exception {
        upstream.imagesAsUrls();

        String answer = post("/images/generations", "{\"model\":\"dall-e-3\",\"prompt\":\"a cat\"}").body();
        HttpResponse<byte[]> image = http.send(HttpRequest.newBuilder(URI.create(upstream.imageUrl())).build(),
                HttpResponse.BodyHandlers.ofByteArray());

        assertThat(answer).contains("\"url\":\"" + upstream.imageUrl() + "\"").doesNotContain("b64_json", "usage");
        assertThat(image.headers().firstValue("Content-Type")).hasValue("image/png");
        assertThat(image.body()).isEqualTo(MockOpenAiUpstream.imagePng());
    }

    @Test
    void speechIsAnAudioFile() throws Exception {
        HttpResponse<byte[]> response = http.send(HttpRequest.newBuilder(URI.create(upstream.baseUrl() + "/audio/speech"))
                        .header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"tts-1\",\"input\":\"Hi\",\"voice\":\"alloy\"}")).build(),
                HttpResponse.BodyHandlers.ofByteArray());

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("Content-Type")).hasValue("audio/mpeg");
        assertThat(response.body()).isEqualTo(MockOpenAiUpstream.speechMp3());
    }

    @Test
    void modelsAreListed() throws Exception {
        HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create(upstream.baseUrl() + "/models")).build(),
                HttpResponse.BodyHandlers.ofString());

        assertThat(response.body()).contains("\"id\":\"" + MockOpenAiUpstream.MODEL + "\"");
    }

    private HttpResponse<String> post(String path, String json) throws IOException, InterruptedException {
        return http.send(HttpRequest.newBuilder(URI.create(upstream.baseUrl() + path))
                        .header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString(json)).build(),
                HttpResponse.BodyHandlers.ofString());
    }
}
