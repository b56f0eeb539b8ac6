package app.apimodels.core.relay;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/** The prompt bound counts a string's UTF-8 bytes exactly as encoding it would, without encoding it. */
class TokenCounterUtf8Test {

    @Test
    void countsWhatTheEncoderWrites() {
        List<String> strings = List.of("", "plain ascii", "caf\u00e9", "\u07ff\u0800", "\u20ac 10", "\uD83D\uDE00 emoji",
                "lone \uD800 high", "lone \uDC00 low", "\uDC00\uD800 reversed", "end \uD83D", "\uFFFF\u0000\u007f\u0080");
        for (String s : strings) {
            assertThat(TokenCounter.utf8Length(s)).as(s).isEqualTo(s.getBytes(StandardCharsets.UTF_8).length);
        }
        Random random = new Random(14);
        for (int round = 0; round < 2000; round++) {
            char[] chars = new char[random.nextInt(12)];
            for (int i = 0; i < chars.length; i++) {
                int kind = random.nextInt(4);
                chars[i] = (char) (kind == 0 ? random.nextInt(0x80) : kind == 1 ? random.nextInt(0x800)
                        : kind == 2 ? 0xD800 + random.nextInt(0x800) : random.nextInt(0x10000));
            }
            String s = new String(chars);
            assertThat(TokenCounter.utf8Length(s)).as(s).isEqualTo(s.getBytes(StandardCharsets.UTF_8).length);
        }
    }

    @Test
    void aPromptIsBoundedByItsBytes() {
        List<Object> messages = List.of(Map.of("role", "user", "content", "h\u00e9 \uD83D\uDE00"));
        // 3 for the list, 4 for the message, "user" 4, the content 1 + 2 + 1 + 4
        assertThat(TokenCounter.promptUpperBound(messages)).isEqualTo(3 + 4 + 4 + 8);
    }
}
