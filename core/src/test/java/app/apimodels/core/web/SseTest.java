package app.apimodels.core.web;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;

/** What counts as a whole stream for an idempotent replay: OpenAI's [DONE], Anthropic's message_stop. */
class SseTest {

    private static byte[] frames(String... frames) {
        return String.join("", frames).getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void aStreamIsCompleteWhenItEndsWithItsVendorsLastEvent() {
        byte[] chunk = Sse.event("{\"choices\":[]}".getBytes(StandardCharsets.UTF_8));
        byte[] start = Sse.event("message_start", "{\"type\":\"message_start\"}".getBytes(StandardCharsets.UTF_8));
        byte[] stop = Sse.event("message_stop", "{\"type\":\"message_stop\"}".getBytes(StandardCharsets.UTF_8));
        byte[] error = Sse.event("error", "{\"type\":\"error\"}".getBytes(StandardCharsets.UTF_8));

        assertThat(Sse.complete(frames(new String(chunk, StandardCharsets.UTF_8), "data: [DONE]\n\n"))).isTrue();
        assertThat(Sse.complete(chunk)).isFalse();
        assertThat(Sse.complete(frames(new String(start, StandardCharsets.UTF_8), new String(stop, StandardCharsets.UTF_8)))).isTrue();
        assertThat(Sse.complete(stop)).isTrue();
        assertThat(Sse.complete(start)).isFalse();
        assertThat(Sse.complete(frames(new String(stop, StandardCharsets.UTF_8), new String(error, StandardCharsets.UTF_8)))).isFalse();
        // message_stop named only in the data of another event is not the end
        assertThat(Sse.complete(frames("event: ping\ndata: {\"note\":\"event: message_stop\\n\"}\n\n"))).isFalse();
        assertThat(Sse.complete(new byte[0])).isFalse();
        byte[] created = Sse.event("response.created", "{\"type\":\"response.created\"}".getBytes(StandardCharsets.UTF_8));
        byte[] completed = Sse.event("response.completed", "{\"type\":\"response.completed\"}".getBytes(StandardCharsets.UTF_8));
        assertThat(Sse.complete(frames(new String(created, StandardCharsets.UTF_8), new String(completed, StandardCharsets.UTF_8))))
                .isTrue();
        assertThat(Sse.complete(created)).isFalse();
    }

    @ParameterizedTest
    @ValueSource(strings = {"content_block_delta", "message_stop", "ping",
            "response.output_text.delta", "response.completed", "response.future_event", "x-custom_1"})
    void aNamedEventsHeadNamesIt(String name) {
        assertThat(new String(Sse.head(name), StandardCharsets.US_ASCII)).isEqualTo("event: " + name + "\ndata: ");
        assertThat(Sse.head(name)).isEqualTo(Sse.head(name));
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "two words", "line\nbreak", "data: x", "caf\u00e9"})
    void aNameThatCouldAddLinesIsLeftOut(String name) {
        assertThat(Sse.head(name)).isSameAs(Sse.DATA);
        assertThat(Sse.head(null)).isSameAs(Sse.DATA);
        assertThat(Sse.head("x".repeat(101))).isSameAs(Sse.DATA);
    }
}
