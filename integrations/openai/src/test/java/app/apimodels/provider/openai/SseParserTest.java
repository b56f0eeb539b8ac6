package app.apimodels.provider.openai;

import app.apimodels.spi.http.SseParser;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class SseParserTest {

    private final List<String> events = new ArrayList<>();
    private final SseParser parser = new SseParser((buffer, length) -> events.add(new String(buffer, 0, length, StandardCharsets.UTF_8)));

    @ParameterizedTest(name = "pieces of {0} bytes")
    @ValueSource(ints = {1, 2, 3, 7, 1000})
    void eventsSplitAnywhereAcrossPiecesAreReassembled(int pieceSize) {
        String stream = "data: {\"a\":\"é\"}\r\n\r\n: comment\n\ndata: {\"b\":2}\r\rdata: [DONE]\n\n";
        byte[] bytes = stream.getBytes(StandardCharsets.UTF_8);

        for (int i = 0; i < bytes.length; i += pieceSize) {
            parser.feed(ByteBuffer.wrap(bytes, i, Math.min(pieceSize, bytes.length - i)));
        }

        assertThat(events).containsExactly("{\"a\":\"é\"}", "{\"b\":2}", "[DONE]");
    }

    @ParameterizedTest(name = "direct pieces of {0} bytes")
    @ValueSource(ints = {1, 5, 1000})
    void directBuffersAsNetworkClientsHandThemOverAreReadWhole(int pieceSize) {
        byte[] bytes = "data: {\"a\":1}\r\n\r\ndata: {\"b\":2}\n\n".getBytes(StandardCharsets.UTF_8);

        for (int i = 0; i < bytes.length; i += pieceSize) {
            ByteBuffer piece = ByteBuffer.allocateDirect(pieceSize + 3);
            piece.put(new byte[] {'x', 'y', 'z'}).put(bytes, i, Math.min(pieceSize, bytes.length - i)).flip().position(3);
            parser.feed(piece);
            assertThat(piece.hasRemaining()).as("the piece is consumed").isFalse();
        }

        assertThat(events).containsExactly("{\"a\":1}", "{\"b\":2}");
    }

    @Test
    void dataLinesOfOneEventAreJoinedWithLineFeeds() {
        feed("data: first\ndata:second\ndata\n\n");

        assertThat(events).containsExactly("first\nsecond\n");
    }

    @Test
    void otherFieldsAndCommentsAreSkipped() {
        feed("event: completion\nid: 42\nretry: 1000\n: ping\ndatum: no\ndata: yes\n\n");

        assertThat(events).containsExactly("yes");
    }

    @Test
    void onlyTheFirstSpaceAfterTheColonIsDropped() {
        feed("data:  two spaces\n\n");

        assertThat(events).containsExactly(" two spaces");
    }

    @Test
    void blankLinesWithoutDataDispatchNothing() {
        feed("\n\n\r\n: keep-alive\n\n");

        assertThat(events).isEmpty();
    }

    @Test
    void anEventNotEndedByABlankLineIsHeldBack() {
        feed("data: complete\n\ndata: {\"cut\":");

        assertThat(events).containsExactly("complete");
    }

    @Test
    void longLinesGrowTheBuffer() {
        String big = "x".repeat(10_000);

        feed("data: " + big + "\n\n");

        assertThat(events).containsExactly(big);
    }

    @Test
    void eachEventIsLentInTheSameBufferAndOnlyItsOwnLengthCounts() {
        List<byte[]> buffers = new ArrayList<>();
        SseParser lending = new SseParser((buffer, length) -> {
            buffers.add(buffer);
            events.add(new String(buffer, 0, length, StandardCharsets.UTF_8));
        });

        lending.feed(ByteBuffer.wrap("data: a longer event\n\ndata: short\n\ndata: two\ndata: lines\n\n".getBytes(StandardCharsets.UTF_8)));

        assertThat(events).containsExactly("a longer event", "short", "two\nlines");
        assertThat(buffers).allSatisfy(buffer -> assertThat(buffer).isSameAs(buffers.get(0)));
    }

    private void feed(String text) {
        parser.feed(ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8)));
    }
}
