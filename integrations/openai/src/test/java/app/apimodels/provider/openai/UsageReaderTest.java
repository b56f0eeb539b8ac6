package app.apimodels.provider.openai;

import app.apimodels.spi.provider.Usage;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** An answer's usage is read from its bytes; what they are unsure of, Jackson reads, with the same result. */
class UsageReaderTest {

    /** Counts the Jackson parsers the reader makes. */
    private int parsers;
    private final UsageReader reader = new UsageReader(new ObjectMapper(new JsonFactory() {
        @Override
        public JsonParser createParser(byte[] data) throws IOException {
            parsers++;
            return super.createParser(data);
        }
    }));

    private Usage read(String body) throws IOException {
        return reader.read(body.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void anOrdinaryAnswerIsReadWithoutAParser() throws IOException {
        assertThat(read("{\"id\":\"c\",\"model\":\"m\",\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\"h\\u00e9 \\\"x\\\"\"},"
                + "\"finish_reason\":null}],\"usage\":{\"prompt_tokens\":11,\"completion_tokens\":5,\"total_tokens\":16}}"))
                .isEqualTo(Usage.tokens(11, 0, 5));
        assertThat(read(" {\"usage\" : {\"prompt_tokens\":30, \"prompt_tokens_details\":{\"cached_tokens\":10,\"audio_tokens\":0},"
                + "\"completion_tokens\":7,\"completion_tokens_details\":{\"reasoning_tokens\":2}}, \"x\":[true,false,null,-1.5e3]}"))
                .isEqualTo(Usage.tokens(30, 10, 7));
        assertThat(read("{\"object\":\"response\",\"usage\":{\"input_tokens\":8,\"input_tokens_details\":{\"cached_tokens\":3},"
                + "\"output_tokens\":4,\"output_tokens_details\":{\"reasoning_tokens\":1}}}"))
                .isEqualTo(Usage.tokens(8, 3, 4));
        assertThat(read("{\"data\":[{\"embedding\":[0.1,-0.2]}],\"usage\":{\"prompt_tokens\":6,\"total_tokens\":6}}"))
                .isEqualTo(Usage.tokens(6, 0, 0));
        assertThat(read("{\"id\":\"c\",\"choices\":[]}")).isNull();
        assertThat(read("{\"usage\":null}")).isNull();
        assertThat(read("{}")).isNull();
        assertThat(parsers).isZero();
    }

    @Test
    void whatTheBytesAreUnsureOfJacksonReads() throws IOException {
        assertThat(read("{\"usage\":{\"prompt_tokens\":11.7,\"completion_tokens\":\"5\"}}")).isEqualTo(Usage.tokens(11, 0, 5));
        assertThat(read("{\"usage\":{\"prompt_tokens\":12345678901,\"completion_tokens\":{\"n\":1}}}"))
                .isEqualTo(Usage.tokens(12345678901L, 0, 0));
        assertThat(read("{\"us\\u0061ge\":{\"prompt_tokens\":2,\"completion_tokens\":1}}")).isEqualTo(Usage.tokens(2, 0, 1));
        assertThat(parsers).isEqualTo(3);
    }

    @Test
    void aBodyThatIsNotAnObjectFails() {
        assertThatThrownBy(() -> read("[1]")).isInstanceOf(IOException.class);
        assertThatThrownBy(() -> read("{\"id\":tru, \"usage\":{\"prompt_tokens\":1}}")).isInstanceOf(IOException.class);
    }
}
