package app.apimodels.core.engine;

import app.apimodels.core.engine.EngineHarness.User;
import app.apimodels.spi.provider.TaskOutput;
import app.apimodels.spi.provider.TaskUpdate;
import app.apimodels.testkit.MockMedia;
import app.apimodels.testkit.web.MockExchange;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.CompletableFuture;

import static app.apimodels.core.engine.EngineHarness.CHAT_COST;
import static app.apimodels.core.engine.EngineHarness.PER_IMAGE;
import static app.apimodels.core.engine.EngineHarness.WAIT;
import static app.apimodels.core.engine.EngineHarness.expect;
import static app.apimodels.core.engine.EngineHarness.json;
import static org.assertj.core.api.Assertions.assertThat;

/** {@code Idempotency-Key}: a retried request is answered from the first one and charged once, whatever the answer's shape. */
class IdempotencyTest extends EngineTest {

    static final String CHAT = "{\"model\":\"test-chat\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";

    @BeforeAll
    static void start() throws Exception {
        // No keep-alive comments: the replayed stream is compared with the events as first sent.
        gateway = EngineHarness.start(dir, java.util.Map.of("apimodels.stream.keep-alive-ms", "0"));
    }

    private MockExchange.Answer keyed(User u, String path, String key, String json) {
        return gateway.call(MockExchange.post(path).bearer(u.key()).header("Idempotency-Key", key).json(json));
    }

    @Test
    void aRetryIsReplayedAndChargedOnce() {
        User u = gateway.user(1_000_000);
        MockExchange.Answer first = expect(keyed(u, "/v1/chat/completions", "retry-1", CHAT), 200);
        MockExchange.Answer again = expect(keyed(u, "/v1/chat/completions", "retry-1", CHAT), 200);

        assertThat(again.header("Idempotent-Replayed")).isEqualTo("true");
        assertThat(first.header("Idempotent-Replayed")).isNull();
        assertThat(again.bodyText()).isEqualTo(first.bodyText());
        assertThat(first.header("x-request-id")).isNotBlank();
        assertThat(again.header("x-request-id")).as("the replay answers the first call's headers").isEqualTo(first.header("x-request-id"));
        assertThat(gateway.upstream.calls).hasSize(1);
        assertThat(gateway.balance(u)).isEqualTo(1_000_000 - CHAT_COST);
    }

    @Test
    void theSameKeyForAnotherRequestIsAConflict() {
        User u = gateway.user(1_000_000);
        expect(keyed(u, "/v1/chat/completions", "reused", CHAT), 200);
        MockExchange.Answer other = expect(keyed(u, "/v1/chat/completions", "reused", CHAT.replace("hi", "bye")), 409);

        assertThat(json(other).at("/error/param").asText()).isEqualTo("Idempotency-Key");
        assertThat(gateway.upstream.calls).hasSize(1);
        assertThat(gateway.balance(u)).isEqualTo(1_000_000 - CHAT_COST);
    }

    @Test
    void keysBelongToTheirAccount() {
        User a = gateway.user(1_000_000);
        User b = gateway.user(1_000_000);
        expect(keyed(a, "/v1/chat/completions", "shared", CHAT), 200);
        MockExchange.Answer theirs = expect(keyed(b, "/v1/chat/completions", "shared", CHAT), 200);

        assertThat(theirs.header("Idempotent-Replayed")).isNull();
        assertThat(gateway.upstream.calls).hasSize(2);
        assertThat(gateway.balance(b)).isEqualTo(1_000_000 - CHAT_COST);
    }

    @Test
    void aCompletedStreamIsReplayedAndOneTheClientLeftRunsAgain() throws Exception {
        User u = gateway.user(1_000_000);
        String stream = CHAT.replace("{", "{\"stream\":true,");

        MockExchange first = keyedExchange(u, "stream-1", stream);
        gateway.engine.handle(first);
        ScriptedProvider.OpenStream upstream = gateway.upstream.nextStream(WAIT);
        upstream.chunk("Hello");
        upstream.sink.onUsage(ScriptedProvider.CHAT_USAGE);
        upstream.sink.onComplete();
        String events = first.awaitAnswer(WAIT).bodyText();
        MockExchange.Answer replay = expect(keyed(u, "/v1/chat/completions", "stream-1", stream), 200);
        assertThat(replay.bodyText()).isEqualTo(events).endsWith("data: [DONE]\n\n");
        assertThat(replay.header("Idempotent-Replayed")).isEqualTo("true");

        MockExchange cut = keyedExchange(u, "stream-2", stream);
        gateway.engine.handle(cut);
        gateway.upstream.nextStream(WAIT).chunk("Hel");
        cut.awaitEvents(WAIT, e -> !e.isEmpty());
        cut.leave();
        MockExchange retry = keyedExchange(u, "stream-2", stream);
        gateway.engine.handle(retry);
        ScriptedProvider.OpenStream again = gateway.upstream.nextStream(WAIT);
        again.chunk("Hello");
        again.sink.onUsage(ScriptedProvider.CHAT_USAGE);
        again.sink.onComplete();
        MockExchange.Answer rerun = retry.awaitAnswer(WAIT);

        assertThat(rerun.kind()).as("run again, not replayed").isEqualTo(MockExchange.Kind.EVENTS);
        assertThat(rerun.bodyText()).endsWith("data: [DONE]\n\n");
        assertThat(gateway.upstream.calls).hasSize(3);
    }

    private MockExchange keyedExchange(User u, String key, String json) {
        return MockExchange.post("/v1/chat/completions").bearer(u.key()).header("Idempotency-Key", key).json(json).build();
    }

    /**
     * {@code /v1/audio/speech} answers with the audio file, streamed from storage: the retry is
     * answered with the same audio instead of creating (and charging) a second task.
     */
    @Test
    void aStreamedSpeechAnswerIsReplayedNotGeneratedAgain() {
        byte[] audio = MockMedia.sample("audio/mpeg");
        gateway.upstream.onSubmit = r -> CompletableFuture.completedFuture(
                TaskUpdate.succeeded("speech-1", List.of(TaskOutput.bytes(audio, "audio/mpeg")), null));
        User u = gateway.user(1_000_000);
        String speech = "{\"model\":\"test-tts\",\"input\":\"hello world\",\"voice\":\"alloy\"}";

        MockExchange.Answer first = expect(keyed(u, "/v1/audio/speech", "speech-1", speech), 200);
        MockExchange.Answer again = expect(keyed(u, "/v1/audio/speech", "speech-1", speech), 200);

        assertThat(first.body()).isEqualTo(audio);
        assertThat(again.body()).isEqualTo(audio);
        assertThat(again.contentType()).isEqualTo("audio/mpeg");
        assertThat(again.header("Idempotent-Replayed")).isEqualTo("true");
        assertThat(first.header("X-Apimodels-Task")).isNotBlank();
        assertThat(again.header("X-Apimodels-Task")).as("the replayed file names the same task").isEqualTo(first.header("X-Apimodels-Task"));
        assertThat(gateway.upstream.submissions).hasSize(1);
        // 11 characters at 0.015 credits per thousand, once.
        assertThat(gateway.charges(u)).containsExactly(-165L);
        assertThat(gateway.balance(u)).isEqualTo(1_000_000 - 165);
    }

    /**
     * An answer too large to keep for replay (a {@code b64_json} image over the stored limit) still
     * ends the key: the retry is refused, naming the key, and nothing is generated or charged again.
     */
    @Test
    void anAnswerTooLargeToKeepIsNotRunAgain() {
        byte[] png = MockMedia.sample("image/png");
        byte[] large = Arrays.copyOf(png, 3_500_000); // base64 of it is over 4 MiB
        gateway.upstream.onSubmit = r -> CompletableFuture.completedFuture(
                TaskUpdate.succeeded("image-1", List.of(TaskOutput.bytes(large, "image/png")), null));
        User u = gateway.user(1_000_000);
        String image = "{\"model\":\"test-image\",\"prompt\":\"a cat\",\"response_format\":\"b64_json\"}";

        MockExchange.Answer first = expect(keyed(u, "/v1/images/generations", "big-1", image), 200);
        assertThat(Base64.getDecoder().decode(json(first).at("/data/0/b64_json").asText())).isEqualTo(large);
        MockExchange.Answer again = expect(keyed(u, "/v1/images/generations", "big-1", image), 409);

        assertThat(json(again).at("/error/param").asText()).isEqualTo("Idempotency-Key");
        assertThat(json(again).at("/error/message").asText()).contains("too large");
        assertThat(gateway.upstream.submissions).hasSize(1);
        assertThat(gateway.charges(u)).containsExactly(-PER_IMAGE);
        assertThat(gateway.balance(u)).isEqualTo(1_000_000 - PER_IMAGE);
    }
}
