package app.apimodels.provider.openai;

import app.apimodels.spi.http.HttpTransport;
import app.apimodels.spi.provider.Operation;
import app.apimodels.spi.provider.ProviderClient;
import app.apimodels.spi.provider.ProviderConfig;
import app.apimodels.spi.provider.ProviderException;
import app.apimodels.spi.provider.ProviderRequest;
import app.apimodels.spi.provider.ProviderResult;
import app.apimodels.spi.provider.TaskInput;
import app.apimodels.spi.provider.TaskOutput;
import app.apimodels.spi.provider.TaskRequest;
import app.apimodels.spi.provider.TaskState;
import app.apimodels.spi.provider.TaskUpdate;
import app.apimodels.spi.provider.Usage;
import app.apimodels.testkit.MockOpenAiUpstream;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.tomakehurst.wiremock.http.Request;
import com.github.tomakehurst.wiremock.verification.LoggedRequest;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.anyRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.anyUrl;
import static com.github.tomakehurst.wiremock.client.WireMock.equalTo;
import static com.github.tomakehurst.wiremock.client.WireMock.okJson;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Image generation, image edits and text to speech against {@link MockOpenAiUpstream}, run once
 * per transport by the subclasses.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class OpenAiMediaTestBase {

    private static final String API_KEY = "sk-media-7c1e9a3f5b2d4e6a8c0f";
    private static final String GENERATIONS = "/v1/images/generations";
    private static final String EDITS = "/v1/images/edits";
    private static final String SPEECH = "/v1/audio/speech";
    private static final byte[] PNG = MockOpenAiUpstream.imagePng();
    private static final byte[] JPEG = {(byte) 0xFF, (byte) 0xD8, (byte) 0xFF, (byte) 0xE0, 0, 16, 'J', 'F', 'I', 'F', '\r', '\n', 0};
    private static final Duration TIMEOUT = Duration.ofSeconds(10);
    private static final long WAIT_SECONDS = 15;
    private static final ObjectMapper JSON = new ObjectMapper();

    private final HttpTransport transport = newTransport();
    private MockOpenAiUpstream upstream;
    private ProviderClient client;

    /** The transport the provider is tested on; closed after the class. */
    protected abstract HttpTransport newTransport();

    @BeforeAll
    void start() {
        upstream = new MockOpenAiUpstream();
        client = client(TIMEOUT);
    }

    @AfterAll
    void stop() {
        client.close();
        upstream.close();
        transport.close();
    }

    @BeforeEach
    void reset() {
        upstream.reset();
    }

    @Test
    void offersImagesAndSpeech() {
        assertThat(client.operations()).contains(Operation.IMAGES, Operation.SPEECH, Operation.CHAT, Operation.EMBEDDINGS);
    }

    // ---- image generation -----------------------------------------------------------------------

    @Test
    void generationSendsTheDocumentedParametersAndTheAspectRatioAsSize() throws Exception {
        Map<String, Object> input = new LinkedHashMap<>();
        input.put("model", "public-image-model");
        input.put("prompt", "A lighthouse at dawn");
        input.put("n", 2);
        input.put("quality", "high");
        input.put("background", "transparent");
        input.put("aspect_ratio", "16:9");
        input.put("callback_url", "https://client.example/hook");
        input.put("seed", 42);

        await(client.submit(images("gpt-image-1", input)));

        JsonNode sent = lastJson(GENERATIONS);
        assertThat(sent.get("model").asText()).isEqualTo("gpt-image-1");
        assertThat(sent.get("prompt").asText()).isEqualTo("A lighthouse at dawn");
        assertThat(sent.get("n").asInt()).isEqualTo(2);
        assertThat(sent.get("quality").asText()).isEqualTo("high");
        assertThat(sent.get("background").asText()).isEqualTo("transparent");
        assertThat(sent.get("size").asText()).isEqualTo("1536x1024");
        assertThat(sent.has("aspect_ratio")).isFalse();
        assertThat(sent.has("callback_url")).isFalse();
        assertThat(sent.has("seed")).as("not an OpenAI parameter").isFalse();
        upstream.server().verify(postRequestedFor(urlEqualTo(GENERATIONS))
                .withHeader("Authorization", equalTo("Bearer " + API_KEY))
                .withHeader("Content-Type", equalTo("application/json")));
    }

    @Test
    void anExplicitSizeWinsOverTheAspectRatio() throws Exception {
        await(client.submit(images("dall-e-3", Map.of("prompt", "x", "size", "1024x1024", "aspect_ratio", "9:16"))));
        assertThat(lastJson(GENERATIONS).get("size").asText()).isEqualTo("1024x1024");

        await(client.submit(images("dall-e-3", Map.of("prompt", "x", "aspect_ratio", "9:16"))));
        assertThat(lastJson(GENERATIONS).get("size").asText()).isEqualTo("1024x1792");
    }

    @Test
    void base64AnswerIsTheDecodedImageWithItsTypeAndTokenUsage() throws Exception {
        upstream.usage(Usage.tokens(50, 0, 4160));

        TaskUpdate update = await(client.submit(images("gpt-image-1", Map.of("prompt", "A cat"))));

        assertThat(update.state()).isEqualTo(TaskState.SUCCEEDED);
        assertThat(update.outputs()).singleElement().satisfies(output -> {
            assertThat(output.url()).isNull();
            assertThat(output.data()).isEqualTo(PNG);
            assertThat(output.contentType()).isEqualTo("image/png");
        });
        assertThat(update.usage()).isEqualTo(new Usage(50, 0, 4160, 1, 0, 0));
    }

    @Test
    void everyImageIsAnOutputAndCounted() throws Exception {
        String b64 = Base64.getEncoder().encodeToString(PNG);
        upstream.server().stubFor(post(GENERATIONS).atPriority(1).willReturn(okJson("{\"created\":1713833628,"
                        + "\"data\":[{\"b64_json\":\"" + b64 + "\"},{\"b64_json\":\"" + Base64.getEncoder().encodeToString(JPEG) + "\"}],"
                        + "\"output_format\":\"jpeg\",\"usage\":{\"total_tokens\":100,\"input_tokens\":50,\"output_tokens\":50,"
                        + "\"input_tokens_details\":{\"text_tokens\":10,\"image_tokens\":40}}}")
                .withHeader("x-request-id", "req_5b0c7e")));

        TaskUpdate update = await(client.submit(images("gpt-image-1", Map.of("prompt", "Two cats", "n", 2))));

        assertThat(update.upstreamId()).isEqualTo("req_5b0c7e");
        assertThat(update.outputs()).extracting(TaskOutput::data).containsExactly(PNG, JPEG);
        assertThat(update.outputs()).extracting(TaskOutput::contentType).containsOnly("image/jpeg");
        assertThat(update.usage()).isEqualTo(new Usage(50, 0, 50, 2, 0, 0));
    }

    @Test
    void linkAnswerIsALinkValidForAnHourAfterCreation() throws Exception {
        upstream.imagesAsUrls();

        TaskUpdate update = await(client.submit(images("dall-e-3", Map.of("prompt", "A cat"))));

        assertThat(update.state()).isEqualTo(TaskState.SUCCEEDED);
        assertThat(update.outputs()).singleElement().satisfies(output -> {
            assertThat(output.url()).isEqualTo(URI.create(upstream.imageUrl()));
            assertThat(output.data()).isNull();
            assertThat(output.contentType()).isNull();
            assertThat(output.expiresAt()).isEqualTo(Instant.ofEpochSecond(1_700_000_000).plus(Duration.ofHours(1)));
        });
        assertThat(update.usage()).isEqualTo(new Usage(0, 0, 0, 1, 0, 0));
    }

    @Test
    void linkWithoutACreationTimeIsValidForAnHourFromNow() throws Exception {
        upstream.server().stubFor(post(GENERATIONS).atPriority(1)
                .willReturn(okJson("{\"data\":[{\"url\":\"https://cdn.example/img-1.png?se=x&sig=y\"}]}")));
        Instant before = Instant.now();

        TaskOutput output = await(client.submit(images("dall-e-2", Map.of("prompt", "A cat")))).outputs().get(0);

        assertThat(output.url()).isEqualTo(URI.create("https://cdn.example/img-1.png?se=x&sig=y"));
        assertThat(output.expiresAt()).isBetween(before.plus(Duration.ofHours(1)), Instant.now().plus(Duration.ofHours(1)));
    }

    @ParameterizedTest
    @ValueSource(strings = {"not json", "[]", "{\"created\":1}", "{\"data\":[]}", "{\"data\":{}}",
            "{\"data\":[{\"revised_prompt\":\"x\"}]}", "{\"data\":[{\"b64_json\":\"%%%\"}]}", "{\"data\":[{\"url\":\"/relative.png\"}]}"})
    void answersWithoutUsableImagesAreUpstreamErrors(String body) {
        upstream.server().stubFor(post(GENERATIONS).atPriority(1).willReturn(okJson(body)));

        ProviderException failure = failureOf(client.submit(images("gpt-image-1", Map.of("prompt", "A cat"))));

        assertThat(failure.kind()).isEqualTo(ProviderException.Kind.UPSTREAM_ERROR);
    }

    @Test
    void malformedAspectRatioIsRefusedWithoutCallingTheUpstream() {
        ProviderException failure = failureOf(client.submit(images("gpt-image-1", Map.of("prompt", "x", "aspect_ratio", "wide"))));

        assertThat(failure.kind()).isEqualTo(ProviderException.Kind.INVALID_REQUEST);
        assertThat(failure.param()).isEqualTo("aspect_ratio");
        upstream.server().verify(0, anyRequestedFor(anyUrl()));
    }

    // ---- image edits ----------------------------------------------------------------------------

    @Test
    void inputImagesAreSentAsAMultipartEdit() throws Exception {
        TaskRequest request = new TaskRequest(Operation.IMAGES, "gpt-image-1",
                Map.of("prompt", "Put them in a gift basket", "n", 1, "input_fidelity", "high",
                        "image_url", "https://engine.example/u/1", "images", List.of("https://engine.example/u/2"),
                        "aspect_ratio", "2:3"),
                List.of(input("image_url", "image/png", PNG), input("images", "image/jpeg", JPEG), input("mask", "image/png", PNG)),
                null);

        TaskUpdate update = await(client.submit(request));

        assertThat(update.outputs()).singleElement().satisfies(output -> assertThat(output.data()).isEqualTo(PNG));
        LoggedRequest sent = last(EDITS);
        assertThat(sent.getHeader("Content-Type")).startsWith("multipart/form-data; boundary=");
        assertThat(sent.getHeader("Authorization")).isEqualTo("Bearer " + API_KEY);
        assertThat(sent.getParts()).extracting(Request.Part::getName)
                .containsExactly("model", "prompt", "input_fidelity", "n", "size", "image[]", "image[]", "mask");
        assertThat(text(sent, "model")).isEqualTo("gpt-image-1");
        assertThat(text(sent, "prompt")).isEqualTo("Put them in a gift basket");
        assertThat(text(sent, "n")).isEqualTo("1");
        assertThat(text(sent, "input_fidelity")).isEqualTo("high");
        assertThat(text(sent, "size")).isEqualTo("1024x1536");
        List<Request.Part> images = sent.getParts().stream().filter(part -> part.getName().equals("image[]")).toList();
        assertThat(images).extracting(Request.Part::getFileName).containsExactly("image_url.png", "images.jpeg");
        assertThat(images).extracting(part -> part.getHeader("Content-Type").firstValue()).containsExactly("image/png", "image/jpeg");
        assertThat(images).extracting(part -> part.getBody().asBytes()).containsExactly(PNG, JPEG);
        assertThat(sent.getPart("mask").getBody().asBytes()).isEqualTo(PNG);
        upstream.server().verify(0, postRequestedFor(urlEqualTo(GENERATIONS)));
    }

    @Test
    void aSingleInputImageIsThePartImage() throws Exception {
        await(client.submit(new TaskRequest(Operation.IMAGES, "dall-e-2", Map.of("prompt", "Add a hat"),
                List.of(input("image_url", "image/png", PNG)), null)));

        assertThat(last(EDITS).getParts()).extracting(Request.Part::getName).containsExactly("model", "prompt", "image");
        assertThat(last(EDITS).getPart("image").getBody().asBytes()).isEqualTo(PNG);
    }

    @Test
    void inputFilesAreReadOffTheCallersThread() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        TaskInput slow = new TaskInput("image_url", "https://engine.example/u/1", "image/png", PNG.length, () -> {
            try {
                if (!release.await(WAIT_SECONDS, TimeUnit.SECONDS)) {
                    throw new IOException("never released");
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException(e);
            }
            return new ByteArrayInputStream(PNG);
        });

        CompletableFuture<TaskUpdate> update = client.submit(new TaskRequest(Operation.IMAGES, "gpt-image-1",
                Map.of("prompt", "Add a hat"), List.of(slow), null));

        assertThat(update).as("submit returned before the file could be read").isNotDone();
        release.countDown();
        assertThat(await(update).state()).isEqualTo(TaskState.SUCCEEDED);
    }

    @Test
    void anUnreadableInputFileFailsWithoutCallingTheUpstream() {
        TaskInput broken = new TaskInput("image_url", "https://engine.example/u/1", "image/png", 10, () -> {
            throw new IOException("disk gone");
        });

        ProviderException failure = failureOf(client.submit(new TaskRequest(Operation.IMAGES, "gpt-image-1",
                Map.of("prompt", "Add a hat"), List.of(broken), null)));

        assertThat(failure.getMessage()).contains("image_url").doesNotContain("disk gone");
        upstream.server().verify(0, anyRequestedFor(anyUrl()));
    }

    // ---- transcriptions --------------------------------------------------------------------------

    @Test
    void aTranscriptionIsSentAsMultipartWithTheFormTheRouteModelAndTheAudio() throws Exception {
        byte[] audio = {'R', 'I', 'F', 'F', 1, 2, 3, 4};
        Map<String, Object> form = new LinkedHashMap<>();
        form.put("model", "public-stt");
        form.put("language", "de");
        form.put("timestamp_granularities[]", List.of("word", "segment"));

        ProviderResult result = await(client.call(new ProviderRequest(Operation.TRANSCRIPTION, "whisper-1", form, false,
                List.of(new TaskInput("file", null, "audio/wav", audio.length, () -> new ByteArrayInputStream(audio))))));

        assertThat(JSON.readTree(result.body()).get("text").asText()).isEqualTo(MockOpenAiUpstream.TRANSCRIPT);
        assertThat(result.contentType()).startsWith("application/json");
        LoggedRequest sent = upstream.server().findAll(postRequestedFor(urlEqualTo("/v1/audio/transcriptions"))).get(0);
        assertThat(part(sent, "model").getBody().asString()).isEqualTo("whisper-1");
        assertThat(part(sent, "language").getBody().asString()).isEqualTo("de");
        assertThat(sent.getParts().stream().filter(p -> p.getName().equals("timestamp_granularities[]"))
                .map(p -> p.getBody().asString())).containsExactly("word", "segment");
        assertThat(part(sent, "file").getBody().asBytes()).isEqualTo(audio);
        assertThat(part(sent, "file").getHeader("Content-Type").firstValue()).isEqualTo("audio/wav");
        assertThat(part(sent, "file").getHeader("Content-Disposition").firstValue()).contains("filename=\"file.wav\"");
    }

    @Test
    void aTextTranscriptKeepsItsContentType() throws Exception {
        byte[] audio = {1, 2, 3};
        ProviderResult result = await(client.call(new ProviderRequest(Operation.TRANSCRIPTION, "whisper-1",
                Map.of("response_format", "text"), false,
                List.of(new TaskInput("file", null, "audio/mpeg", audio.length, () -> new ByteArrayInputStream(audio))))));

        assertThat(new String(result.body(), java.nio.charset.StandardCharsets.UTF_8)).isEqualTo(MockOpenAiUpstream.TRANSCRIPT + "\n");
        assertThat(result.contentType()).startsWith("text/plain");
    }

    private static com.github.tomakehurst.wiremock.http.Request.Part part(LoggedRequest request, String name) {
        return request.getParts().stream().filter(p -> p.getName().equals(name)).findFirst().orElseThrow();
    }

    // ---- text to speech -------------------------------------------------------------------------

    @Test
    void speechCallReturnsTheAudioItsTypeAndTheCharactersSpoken() throws Exception {
        Map<String, Object> payload = new LinkedHashMap<>();
        payload.put("model", "public-tts");
        payload.put("input", "Héllo 👋");
        payload.put("voice", "alloy");
        payload.put("response_format", "mp3");

        ProviderResult result = await(client.call(new ProviderRequest(Operation.SPEECH, "gpt-4o-mini-tts", payload, false)));

        assertThat(result.body()).isEqualTo(MockOpenAiUpstream.speechMp3());
        assertThat(result.contentType()).isEqualTo("audio/mpeg");
        assertThat(result.usage()).isEqualTo(new Usage(0, 0, 0, 0, 0, 7)); // 7 code points, 8 UTF-16 chars
        JsonNode sent = lastJson(SPEECH);
        assertThat(sent.get("model").asText()).isEqualTo("gpt-4o-mini-tts");
        assertThat(sent.get("input").asText()).isEqualTo("Héllo 👋");
        assertThat(sent.get("voice").asText()).isEqualTo("alloy");
        assertThat(payload.get("model")).as("the caller's payload is not changed").isEqualTo("public-tts");
    }

    @Test
    void speechKeepsTheUpstreamsContentType() throws Exception {
        upstream.server().stubFor(post(SPEECH).atPriority(1)
                .willReturn(aResponse().withHeader("Content-Type", "audio/wav").withBody(new byte[] {'R', 'I', 'F', 'F'})));

        ProviderResult result = await(client.call(speech(Map.of("input", "Hi", "voice", "nova", "response_format", "wav"))));

        assertThat(result.contentType()).isEqualTo("audio/wav");
        assertThat(result.body()).containsExactly('R', 'I', 'F', 'F');
    }

    @Test
    void speechTaskTakesThePromptAsInput() throws Exception {
        TaskUpdate update = await(client.submit(new TaskRequest(Operation.SPEECH, "tts-1",
                Map.of("prompt", "Good morning", "voice", "nova", "speed", 1.25, "callback_url", "https://client.example/hook"),
                List.of(), null)));

        assertThat(update.state()).isEqualTo(TaskState.SUCCEEDED);
        assertThat(update.outputs()).singleElement().satisfies(output -> {
            assertThat(output.data()).isEqualTo(MockOpenAiUpstream.speechMp3());
            assertThat(output.contentType()).isEqualTo("audio/mpeg");
        });
        assertThat(update.usage().characters()).isEqualTo("Good morning".length());
        JsonNode sent = lastJson(SPEECH);
        assertThat(sent.get("model").asText()).isEqualTo("tts-1");
        assertThat(sent.get("input").asText()).isEqualTo("Good morning");
        assertThat(sent.get("voice").asText()).isEqualTo("nova");
        assertThat(sent.get("speed").asDouble()).isEqualTo(1.25);
        assertThat(sent.has("prompt")).isFalse();
        assertThat(sent.has("callback_url")).isFalse();
    }

    @Test
    void speechWithoutTextIsRefusedWithoutCallingTheUpstream() {
        ProviderException call = failureOf(client.call(speech(Map.of("voice", "alloy"))));
        ProviderException task = failureOf(client.submit(new TaskRequest(Operation.SPEECH, "tts-1",
                Map.of("prompt", " ", "voice", "alloy"), List.of(), null)));

        assertThat(call.kind()).isEqualTo(ProviderException.Kind.INVALID_REQUEST);
        assertThat(call.param()).isEqualTo("input");
        assertThat(task.kind()).isEqualTo(ProviderException.Kind.INVALID_REQUEST);
        assertThat(task.param()).isEqualTo("prompt");
        upstream.server().verify(0, anyRequestedFor(anyUrl()));
    }

    @Test
    void emptyAudioIsAnUpstreamError() {
        upstream.server().stubFor(post(SPEECH).atPriority(1).willReturn(aResponse().withHeader("Content-Type", "audio/mpeg")));

        assertThat(failureOf(client.call(speech(Map.of("input", "Hi", "voice", "alloy")))).kind())
                .isEqualTo(ProviderException.Kind.UPSTREAM_ERROR);
    }

    // ---- failures -------------------------------------------------------------------------------

    @ParameterizedTest(name = "HTTP {0} is {1}")
    @CsvSource({"400, INVALID_REQUEST", "401, UPSTREAM_CONFIG", "403, UPSTREAM_CONFIG", "404, UPSTREAM_CONFIG",
            "429, RATE_LIMITED", "500, UPSTREAM_ERROR", "503, UPSTREAM_ERROR"})
    void errorStatusesAreClassifiedForEveryMediaCall(int status, ProviderException.Kind kind) {
        upstream.respondWithError(status);

        for (Supplier<CompletableFuture<?>> call : mediaCalls()) {
            ProviderException failure = failureOf(call.get());
            assertThat(failure.kind()).as("%s caused by %s", failure, failure.getCause()).isEqualTo(kind);
            assertThat(failure.upstreamStatus()).isEqualTo(status);
        }
    }

    @Test
    void contentPolicyRefusalCarriesTheUpstreamsMessageAndParam() {
        String message = "Your request was rejected as a result of our safety system. Your prompt may contain text that is not allowed by our safety system.";
        upstream.respondWithError(400, message, "prompt");

        ProviderException failure = failureOf(client.submit(images("gpt-image-1", Map.of("prompt", "something forbidden"))));

        assertThat(failure.kind()).isEqualTo(ProviderException.Kind.INVALID_REQUEST);
        assertThat(failure.kind().retryable()).isFalse();
        assertThat(failure.getMessage()).isEqualTo(message);
        assertThat(failure.param()).isEqualTo("prompt");
    }

    @Test
    void rejectedCredentialsAreNotEchoed() {
        upstream.respondWithError(401, "Incorrect API key provided: " + API_KEY.substring(0, 9) + "****8c0f. You can find your API key at https://platform.openai.com/account/api-keys.", null);

        for (Supplier<CompletableFuture<?>> call : mediaCalls()) {
            ProviderException failure = failureOf(call.get());
            assertThat(failure.kind()).isEqualTo(ProviderException.Kind.UPSTREAM_CONFIG);
            assertThat(failure.getMessage()).doesNotContain("sk-", "8c0f", API_KEY);
        }
    }

    @Test
    void slowUpstreamTimesOut() {
        upstream.delayResponses(Duration.ofSeconds(3));
        try (ProviderClient impatient = client(Duration.ofMillis(400))) {
            assertThat(failureOf(impatient.submit(images("gpt-image-1", Map.of("prompt", "A cat")))).kind())
                    .isEqualTo(ProviderException.Kind.TIMEOUT);
            assertThat(failureOf(impatient.call(speech(Map.of("input", "Hi", "voice", "alloy")))).kind())
                    .isEqualTo(ProviderException.Kind.TIMEOUT);
        }
    }

    @Test
    void tasksOfOtherKindsAreNotRun() {
        ProviderException failure = failureOf(client.submit(new TaskRequest(Operation.VIDEO, "sora-2", Map.of("prompt", "x"), List.of(), null)));

        assertThat(failure.kind()).isEqualTo(ProviderException.Kind.UPSTREAM_CONFIG);
        upstream.server().verify(0, anyRequestedFor(anyUrl()));
    }

    // ---- helpers --------------------------------------------------------------------------------

    private ProviderClient client(Duration timeout) {
        return new OpenAiProvider().create(new ProviderConfig("media-upstream", "openai", URI.create(upstream.baseUrl()),
                API_KEY, timeout, Map.of()), transport);
    }

    private List<Supplier<CompletableFuture<?>>> mediaCalls() {
        TaskRequest edit = new TaskRequest(Operation.IMAGES, "gpt-image-1", Map.of("prompt", "Add a hat"),
                List.of(input("image_url", "image/png", PNG)), null);
        return List.of(
                () -> client.submit(images("gpt-image-1", Map.of("prompt", "A cat"))),
                () -> client.submit(edit),
                () -> client.call(speech(Map.of("input", "Hi", "voice", "alloy"))),
                () -> client.submit(new TaskRequest(Operation.SPEECH, "tts-1", Map.of("prompt", "Hi", "voice", "alloy"), List.of(), null)));
    }

    private static TaskRequest images(String upstreamModel, Map<String, Object> input) {
        return new TaskRequest(Operation.IMAGES, upstreamModel, input, List.of(), null);
    }

    private static ProviderRequest speech(Map<String, Object> payload) {
        return new ProviderRequest(Operation.SPEECH, "tts-1", payload, false);
    }

    private static TaskInput input(String field, String contentType, byte[] data) {
        return new TaskInput(field, "https://engine.example/u/" + field, contentType, data.length, () -> new ByteArrayInputStream(data));
    }

    private LoggedRequest last(String path) {
        List<LoggedRequest> requests = upstream.server().findAll(postRequestedFor(urlEqualTo(path)));
        assertThat(requests).as("requests to %s", path).isNotEmpty();
        return requests.get(requests.size() - 1);
    }

    private JsonNode lastJson(String path) throws IOException {
        return JSON.readTree(last(path).getBody());
    }

    private static String text(LoggedRequest request, String part) {
        return new String(request.getPart(part).getBody().asBytes(), StandardCharsets.UTF_8);
    }

    private static <T> T await(CompletableFuture<T> future) throws Exception {
        return future.get(WAIT_SECONDS, TimeUnit.SECONDS);
    }

    /** The failure, which must be a ProviderException itself (not wrapped). */
    private static ProviderException failureOf(CompletableFuture<?> future) {
        Throwable failure;
        try {
            failure = future.handle((value, error) -> error).get(WAIT_SECONDS, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new AssertionError("neither succeeded nor failed in time", e);
        }
        assertThat(failure).as("should have failed").isInstanceOf(ProviderException.class);
        return (ProviderException) failure;
    }
}
