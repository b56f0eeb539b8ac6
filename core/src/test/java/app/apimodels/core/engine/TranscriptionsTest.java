package app.apimodels.core.engine;

import app.apimodels.core.engine.EngineHarness.User;
import app.apimodels.spi.provider.Operation;
import app.apimodels.spi.provider.ProviderRequest;
import app.apimodels.spi.provider.ProviderResult;
import app.apimodels.spi.provider.TaskInput;
import app.apimodels.testkit.web.MockExchange;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.NoSuchFileException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicReference;

import static app.apimodels.core.engine.EngineHarness.expect;
import static app.apimodels.core.engine.EngineHarness.json;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * {@code POST /v1/audio/transcriptions} through the engine: the multipart body read as a stream,
 * the audio measured from its bytes and charged per second of it (100 µ per second here, so the
 * 2.5 s test recording costs 250 µ), the form passed on, the temporary copy gone after the call,
 * and every bad input refused naming its field before money moves.
 */
class TranscriptionsTest extends EngineTest {

    static final String BOUNDARY = "----apimodels-stt-boundary";
    static final long MAX_AUDIO_BYTES = 200_000;

    @BeforeAll
    static void start() throws Exception {
        gateway = EngineHarness.start(dir, Map.of("apimodels.uploads.max-audio-bytes", String.valueOf(MAX_AUDIO_BYTES)));
    }

    @Test
    void theAudioIsMeasuredChargedPerSecondAndPassedOnWithTheForm() {
        byte[] wav = audio("tone.wav");
        AtomicReference<byte[]> received = new AtomicReference<>();
        gateway.upstream.onCall = r -> {
            received.set(read(r.files().get(0)));
            return CompletableFuture.completedFuture(new ProviderResult("Hello there".getBytes(StandardCharsets.UTF_8),
                    "text/plain; charset=utf-8", null));
        };
        User u = gateway.user(1_000_000);
        Map<String, String> form = new LinkedHashMap<>();
        form.put("model", "test-stt");
        form.put("language", "en");
        form.put("prompt", "A tone.");
        form.put("response_format", "text");
        form.put("temperature", "0.2");

        MockExchange.Answer answer = expect(transcribe(u, form, "clip.bin", wav), 200);

        assertThat(answer.bodyText()).isEqualTo("Hello there");
        assertThat(answer.contentType()).startsWith("text/plain");
        ProviderRequest sent = gateway.upstream.calls.get(0);
        assertThat(sent.operation()).isEqualTo(Operation.TRANSCRIPTION);
        assertThat(sent.upstreamModel()).isEqualTo("upstream-stt");
        assertThat(sent.payload()).containsEntry("language", "en").containsEntry("prompt", "A tone.")
                .containsEntry("response_format", "text").containsEntry("temperature", "0.2");
        assertThat(sent.files()).singleElement().satisfies(f -> assertThat(f.contentType()).as("sniffed, not the client's")
                .isEqualTo("audio/wav"));
        assertThat(received.get()).isEqualTo(wav);
        assertThat(gateway.balance(u)).isEqualTo(1_000_000 - 250);
        assertThat(gateway.held(u)).isZero();
        assertThatThrownBy(() -> sent.files().get(0).open()).as("the temporary copy is deleted after the call")
                .isInstanceOf(NoSuchFileException.class);
    }

    @Test
    void whatTheUpstreamSaysAboutTheDurationIsNotCharged() {
        gateway.upstream.onCall = r -> CompletableFuture.completedFuture(new ProviderResult(
                "{\"task\":\"transcribe\",\"duration\":1.0,\"text\":\"Hello\",\"usage\":{\"type\":\"duration\",\"seconds\":1}}"
                        .getBytes(StandardCharsets.UTF_8), "application/json", new app.apimodels.spi.provider.Usage(0, 0, 0, 0, 1.0, 0)));
        User u = gateway.user(1_000_000);

        expect(transcribe(u, Map.of("model", "test-stt", "response_format", "verbose_json"), "a.wav", audio("tone.wav")), 200);

        assertThat(gateway.balance(u)).isEqualTo(1_000_000 - 250);
    }

    @Test
    void aFailedUpstreamCostsNothingAndLeavesNoFile() {
        AtomicReference<TaskInput> file = new AtomicReference<>();
        gateway.upstream.onCall = r -> {
            file.set(r.files().get(0));
            return CompletableFuture.failedFuture(ScriptedProvider.failure("upstream exploded"));
        };
        User u = gateway.user(1_000_000);

        expect(transcribe(u, Map.of("model", "test-stt"), "a.mp3", audio("tone.mp3")), 502);

        assertThat(gateway.balance(u)).isEqualTo(1_000_000);
        assertThat(gateway.held(u)).isZero();
        assertThatThrownBy(() -> file.get().open()).isInstanceOf(NoSuchFileException.class);
    }

    @Test
    void aFileWhoseDurationCannotBeMeasuredIsRefusedNamingFile() {
        User u = gateway.user(1_000_000);
        byte[] noise = new byte[5000];
        new java.util.Random(3).nextBytes(noise);

        MockExchange.Answer answer = expect(transcribe(u, Map.of("model", "test-stt"), "speech.mp3", noise), 400);

        assertThat(json(answer).at("/error/param").asText()).isEqualTo("file");
        assertThat(gateway.upstream.calls).isEmpty();
        assertThat(gateway.balance(u)).isEqualTo(1_000_000);
    }

    @Test
    void badFormsAreRefusedNamingTheField() {
        User u = gateway.user(1_000_000);
        byte[] wav = audio("tone.wav");

        assertThat(param(transcribe(u, Map.of("language", "en"), "a.wav", wav), 400)).isEqualTo("model");
        assertThat(param(transcribe(u, Map.of("model", "test-stt", "response_format", "mp3"), "a.wav", wav), 400))
                .isEqualTo("response_format");
        assertThat(param(transcribe(u, Map.of("model", "test-stt", "temperature", "hot"), "a.wav", wav), 400)).isEqualTo("temperature");
        assertThat(param(transcribe(u, Map.of("model", "test-stt", "stream", "true"), "a.wav", wav), 400)).isEqualTo("stream");
        assertThat(param(transcribe(u, Map.of("model", "test-chat"), "a.wav", wav), 400)).isEqualTo("model");
        assertThat(param(transcribe(u, Map.of("model", "test-stt"), null, null), 400)).isEqualTo("file");
        String cut = "--" + BOUNDARY + "\r\nContent-Disposition: form-data; name=\"model\"\r\n\r\ntest-stt";
        assertThat(param(gateway.call(request(u, cut.getBytes(StandardCharsets.UTF_8))), 400)).isEqualTo("file");
        assertThat(param(gateway.post("/v1/audio/transcriptions", u.key(), "{\"model\":\"test-stt\"}"), 415)).isEqualTo("file");
        assertThat(gateway.upstream.calls).isEmpty();
        assertThat(gateway.balance(u)).isEqualTo(1_000_000);
    }

    @Test
    void aFileOverTheAudioLimitIs413() {
        User u = gateway.user(1_000_000);
        byte[] large = java.util.Arrays.copyOf(audio("tone.wav"), (int) MAX_AUDIO_BYTES + 1);

        assertThat(param(transcribe(u, Map.of("model", "test-stt"), "big.wav", large), 413)).isEqualTo("file");
        assertThat(gateway.balance(u)).isEqualTo(1_000_000);
    }

    @Test
    void theBodyIsReadAsAStream() {
        assertThat(gateway.engine.streamsBody("POST", "/v1/audio/transcriptions", "multipart/form-data; boundary=x")).isTrue();
        assertThat(gateway.engine.streamsBody("POST", "/v1/audio/transcriptions", "application/json")).isFalse();
    }

    private static String param(MockExchange.Answer answer, int status) {
        return json(expect(answer, status)).at("/error/param").asText();
    }

    static MockExchange.Answer transcribe(User u, Map<String, String> fields, String fileName, byte[] file) {
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        if (file != null) {
            body.writeBytes(("--" + BOUNDARY + "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"" + fileName
                    + "\"\r\nContent-Type: application/octet-stream\r\n\r\n").getBytes(StandardCharsets.UTF_8));
            body.writeBytes(file);
            body.writeBytes("\r\n".getBytes(StandardCharsets.UTF_8));
        }
        fields.forEach((name, value) -> body.writeBytes(("--" + BOUNDARY + "\r\nContent-Disposition: form-data; name=\"" + name
                + "\"\r\n\r\n" + value + "\r\n").getBytes(StandardCharsets.UTF_8)));
        body.writeBytes(("--" + BOUNDARY + "--\r\n").getBytes(StandardCharsets.UTF_8));
        return gateway.call(request(u, body.toByteArray()));
    }

    private static MockExchange request(User u, byte[] body) {
        return MockExchange.post("/v1/audio/transcriptions").bearer(u.key())
                .body("multipart/form-data; boundary=" + BOUNDARY, body).build();
    }

    static byte[] audio(String name) {
        try (InputStream in = TranscriptionsTest.class.getResourceAsStream("/app/apimodels/core/audio/" + name)) {
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static byte[] read(TaskInput input) {
        try (InputStream in = input.open()) {
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
