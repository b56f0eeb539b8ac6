package app.apimodels.provider.openai;

import app.apimodels.spi.provider.Usage;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;

/** Reads OpenAI's {@code usage} objects. */
final class UsageReader {

    private final ObjectMapper mapper;

    UsageReader(ObjectMapper mapper) {
        this.mapper = mapper;
    }

    /**
     * The top-level {@code usage} of a response body, or {@code null} if it has none. Streams
     * over the body and skips everything else, so a large answer (embeddings) is never built
     * into a tree.
     *
     * @throws IOException if the body is not a JSON object
     */
    Usage read(byte[] body) throws IOException {
        try (JsonParser parser = mapper.createParser(body)) {
            if (parser.nextToken() != JsonToken.START_OBJECT) {
                throw new IOException("not a JSON object");
            }
            while (parser.nextToken() == JsonToken.FIELD_NAME) {
                String name = parser.currentName();
                JsonToken value = parser.nextToken();
                if (name.equals("usage") && value == JsonToken.START_OBJECT) {
                    return usage(parser.readValueAsTree());
                }
                parser.skipChildren();
            }
            return null;
        }
    }

    /**
     * Chat and embeddings usage (embeddings have no completion tokens), or the Responses API's
     * ({@code input_tokens}, {@code input_tokens_details.cached_tokens}, {@code output_tokens}, which
     * already counts {@code output_tokens_details.reasoning_tokens}: reasoning is billed as output).
     */
    static Usage usage(JsonNode usage) {
        if (usage.has("input_tokens") && !usage.has("prompt_tokens")) {
            return Usage.tokens(usage.path("input_tokens").asLong(0),
                    usage.path("input_tokens_details").path("cached_tokens").asLong(0),
                    usage.path("output_tokens").asLong(0));
        }
        return Usage.tokens(usage.path("prompt_tokens").asLong(0),
                usage.path("prompt_tokens_details").path("cached_tokens").asLong(0),
                usage.path("completion_tokens").asLong(0));
    }

    /**
     * Image usage: {@code images} produced, plus the tokens GPT image models report
     * ({@code input_tokens}, {@code output_tokens}; DALL·E reports none, {@code usage} is null).
     */
    static Usage images(JsonNode usage, long images) {
        if (usage == null) {
            return new Usage(0, 0, 0, images, 0, 0);
        }
        return new Usage(usage.path("input_tokens").asLong(0), 0, usage.path("output_tokens").asLong(0), images, 0, 0);
    }
}
