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
