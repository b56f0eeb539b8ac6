package app.apimodels.quickstart.e2e;

import app.apimodels.core.testing.TestDatabases;
import app.apimodels.testkit.MockOpenAiUpstream;
import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Base64;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Synchronous media models of the OpenAI provider: images through both image APIs (answered at
 * once, re-hosted, charged per image) and speech through {@code /v1/audio/speech} (per character).
 */
class OpenAiMediaTest extends EndToEndTest {

    static final long PER_IMAGE = 40_000;

    @BeforeEach
    void start() throws Exception {
        String catalog = """
                providers:
                  - id: oai
                    type: openai
                    base-url: %s
                    api-key: sk-upstream-secret-123
                    timeout-seconds: 10
                models:
                  - id: test-image
                    kind: image
                    routes: [ { provider: oai, upstream-model: gpt-image-1, priority: 1, weight: 1 } ]
                    price: { per-image: 0.04 }
                  - id: test-tts
                    kind: speech
                    routes: [ { provider: oai, upstream-model: gpt-4o-mini-tts, priority: 1, weight: 1 } ]
                    price: { per-1k-characters: 0.015 }
                """.formatted(upstream.baseUrl());
        gateway = Gateway.start(TestDatabases.H2, catalog, dir,
                Map.of("apimodels.fetch.allowed-private-hosts", URI.create(upstream.baseUrl()).getAuthority()));
    }

    @Test
    void openAisImageEndpointAnswersBase64AndUrls() throws Exception {
        Gateway.User u = gateway.user(1_000_000);
        HttpResponse<String> b64 = gateway.send("POST", "/v1/images/generations", u.key(),
                "{\"model\":\"test-image\",\"prompt\":\"a cat\",\"response_format\":\"b64_json\"}");
        Gateway.expect(b64, 200);
        assertThat(Base64.getDecoder().decode(Gateway.json(b64).get("data").get(0).get("b64_json").asText()))
                .isEqualTo(MockOpenAiUpstream.imagePng());

        HttpResponse<String> url = gateway.send("POST", "/v1/images/generations", u.key(), "{\"model\":\"test-image\",\"prompt\":\"a dog\"}");
        Gateway.expect(url, 200);
        String link = Gateway.json(url).get("data").get(0).get("url").asText();
        assertThat(link).startsWith(gateway.baseUrl() + "/media/");
        HttpResponse<byte[]> file = gateway.http.send(HttpRequest.newBuilder(URI.create(link)).build(), HttpResponse.BodyHandlers.ofByteArray());
        assertThat(file.body()).isEqualTo(MockOpenAiUpstream.imagePng());
        assertThat(gateway.balance(u)).isEqualTo(1_000_000 - 2 * PER_IMAGE);
    }

    @Test
    void theTaskApiAnswersASynchronousModelCompletedAtOnce() {
        Gateway.User u = gateway.user(1_000_000);
        HttpResponse<String> r = gateway.send("POST", "/api/v1/images/generations", u.key(),
                "{\"model\":\"test-image\",\"prompt\":\"a cat\",\"aspect_ratio\":\"16:9\"}");
        Gateway.expect(r, 200);
        JsonNode data = Gateway.json(r).get("data");
        assertThat(data.get("state").asText()).isEqualTo("completed");
        assertThat(data.get("resultUrls")).hasSize(1);
        assertThat(gateway.balance(u)).isEqualTo(1_000_000 - PER_IMAGE);
    }

    @Test
    void speechAnswersTheAudioAndChargesPerCharacter() throws Exception {
        Gateway.User u = gateway.user(1_000_000);
        HttpResponse<byte[]> r = gateway.http.send(HttpRequest.newBuilder(gateway.uri("/v1/audio/speech"))
                .header("Authorization", "Bearer " + u.key()).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"test-tts\",\"input\":\"hello world\",\"voice\":\"alloy\"}"))
                .build(), HttpResponse.BodyHandlers.ofByteArray());
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.headers().firstValue("Content-Type")).hasValue("audio/mpeg");
        assertThat(r.body()).isEqualTo(MockOpenAiUpstream.speechMp3());
        // 11 characters at 0.015 credits per thousand: 165 micros.
        assertThat(gateway.balance(u)).isEqualTo(1_000_000 - 165);
        upstream.server().verify(com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor(
                com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo("/v1/audio/speech"))
                .withRequestBody(com.github.tomakehurst.wiremock.client.WireMock.matchingJsonPath("$.input", 
                        com.github.tomakehurst.wiremock.client.WireMock.equalTo("hello world"))));
    }
}
