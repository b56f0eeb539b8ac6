package app.apimodels.provider.gemini;

import app.apimodels.spi.provider.ProviderException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * OpenAI embeddings ⇄ Gemini's {@code batchEmbedContents}: each input text is one request (so one
 * string or many take the same path), {@code dimensions} becomes {@code outputDimensionality};
 * the answer's vectors come back as OpenAI's {@code data} list, as floats or, with
 * {@code encoding_format: base64}, as little-endian float32 in base64, as OpenAI sends them.
 * Gemini reports no usage for embeddings: the same texts are counted by its {@code countTokens}.
 */
final class Embeddings {

    private final ObjectMapper mapper;

    Embeddings(ObjectMapper mapper) {
        this.mapper = mapper;
    }

    /** The texts to embed: OpenAI's {@code input} as a string or an array of strings (token arrays are not text). */
    static List<String> texts(Map<String, Object> payload) {
        Object input = payload.get("input");
        if (input instanceof String s) {
            return List.of(s);
        }
        if (input instanceof List<?> list && !list.isEmpty()) {
            List<String> texts = new ArrayList<>(list.size());
            for (Object item : list) {
                if (!(item instanceof String s)) {
                    throw new ProviderException(ProviderException.Kind.INVALID_REQUEST,
                            "input must be a string or an array of strings for this model (Gemini embeds text, not token ids)", null);
                }
                texts.add(s);
            }
            return texts;
        }
        throw new ProviderException(ProviderException.Kind.INVALID_REQUEST, "input must be a string or an array of strings", null);
    }

    Map<String, Object> batchRequest(String model, List<String> texts, Map<String, Object> payload) {
        List<Object> requests = new ArrayList<>(texts.size());
        for (String text : texts) {
            Map<String, Object> request = new LinkedHashMap<>();
            request.put("model", "models/" + model);
            request.put("content", content(text));
            if (payload.get("dimensions") instanceof Number dimensions) {
                request.put("outputDimensionality", dimensions.longValue());
            }
            requests.add(request);
        }
        return Map.of("requests", requests);
    }

    static Map<String, Object> countRequest(List<String> texts) {
        return Map.of("contents", texts.stream().map(Embeddings::content).toList());
    }

    private static Map<String, Object> content(String text) {
        return Map.of("parts", List.of(Map.of("text", text)));
    }

    /** The OpenAI answer for Gemini's {@code {"embeddings": [{"values": […]}]}}, one per text. */
    Map<String, Object> answer(JsonNode gemini, String model, int texts, boolean base64, Long promptTokens) {
        JsonNode embeddings = gemini.path("embeddings");
        if (!embeddings.isArray() || embeddings.size() != texts) {
            throw new IllegalStateException("expected " + texts + " embeddings");
        }
        List<Object> data = new ArrayList<>(texts);
        for (int i = 0; i < texts; i++) {
            JsonNode values = embeddings.get(i).path("values");
            if (!values.isArray()) {
                throw new IllegalStateException("an embedding without values");
            }
            Map<String, Object> item = new LinkedHashMap<>();
            item.put("object", "embedding");
            item.put("index", i);
            item.put("embedding", base64 ? base64(values) : mapper.convertValue(values, List.class));
            data.add(item);
        }
        Map<String, Object> answer = new LinkedHashMap<>();
        answer.put("object", "list");
        answer.put("data", data);
        answer.put("model", model);
        if (promptTokens != null) {
            answer.put("usage", Map.of("prompt_tokens", promptTokens, "total_tokens", promptTokens));
        }
        return answer;
    }

    private static String base64(JsonNode values) {
        ByteBuffer floats = ByteBuffer.allocate(values.size() * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        values.forEach(v -> floats.putFloat((float) v.asDouble()));
        return Base64.getEncoder().encodeToString(floats.array());
    }
}
