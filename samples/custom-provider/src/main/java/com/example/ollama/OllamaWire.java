package com.example.ollama;

import app.apimodels.spi.provider.ProviderRequest;
import app.apimodels.spi.provider.Usage;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Translates between what the engine speaks (OpenAI's chat-completions and embeddings formats) and
 * Ollama's native API ({@code POST /api/chat}, {@code POST /api/embed}; docs.ollama.com/api).
 *
 * <p>Requests: messages keep their roles; text parts of a content list are joined, images given as
 * {@code data:} URLs go into Ollama's {@code images} (Ollama cannot fetch URLs); sampling settings
 * move into {@code options} ({@code max_tokens} becomes {@code num_predict}); a JSON
 * {@code response_format} becomes {@code format}. What Ollama cannot do the OpenAI way (tools,
 * several choices, images by URL) is refused rather than silently dropped.
 *
 * <p>Answers: Ollama's {@code message} becomes the one choice, {@code done_reason} the finish
 * reason, {@code thinking} the {@code reasoning_content}; {@code prompt_eval_count} and
 * {@code eval_count} are the usage.
 */
final class OllamaWire {

    /** OpenAI sampling settings and the Ollama option each becomes. */
    private static final Map<String, String> OPTIONS = Map.of(
            "temperature", "temperature", "top_p", "top_p", "seed", "seed",
            "presence_penalty", "presence_penalty", "frequency_penalty", "frequency_penalty",
            "max_tokens", "num_predict", "max_completion_tokens", "num_predict");
    private static final Set<String> REFUSED = Set.of("tools", "tool_choice", "functions", "function_call");

    private final ObjectMapper mapper;

    OllamaWire(ObjectMapper mapper) {
        this.mapper = mapper;
    }

    // ---- requests -------------------------------------------------------------------------------

    /** The body of {@code POST /api/chat}. */
    byte[] chatRequest(ProviderRequest request, boolean stream) {
        Map<String, Object> payload = request.payload();
        for (String field : REFUSED) {
            if (payload.get(field) != null) {
                throw OllamaErrors.unsupported(field, "the ollama-native provider does not support " + field);
            }
        }
        if (payload.get("n") instanceof Number n && n.intValue() != 1) {
            throw OllamaErrors.unsupported("n", "Ollama answers with one choice; n must be 1");
        }
        ObjectNode body = mapper.createObjectNode();
        body.put("model", request.upstreamModel());
        body.set("messages", messages(payload.get("messages")));
        body.put("stream", stream);
        ObjectNode options = mapper.createObjectNode();
        OPTIONS.forEach((openAi, ollama) -> {
            if (payload.get(openAi) != null) {
                options.set(ollama, mapper.valueToTree(payload.get(openAi)));
            }
        });
        Object stop = payload.get("stop");
        if (stop instanceof String single) {
            options.putArray("stop").add(single);
        } else if (stop instanceof List<?> several) {
            options.set("stop", mapper.valueToTree(several));
        }
        if (!options.isEmpty()) {
            body.set("options", options);
        }
        if (payload.get("response_format") instanceof Map<?, ?> format) {
            switch (String.valueOf(format.get("type"))) {
                case "json_object" -> body.put("format", "json");
                case "json_schema" -> {
                    if (format.get("json_schema") instanceof Map<?, ?> schema && schema.get("schema") != null) {
                        body.set("format", mapper.valueToTree(schema.get("schema")));
                    } else {
                        throw OllamaErrors.unsupported("response_format", "response_format.json_schema.schema is missing");
                    }
                }
                case "text" -> { }
                default -> throw OllamaErrors.unsupported("response_format", "unknown response_format type");
            }
        }
        return bytes(body);
    }

    private ArrayNode messages(Object messages) {
        if (!(messages instanceof List<?> list) || list.isEmpty()) {
            throw OllamaErrors.unsupported("messages", "messages must be a non-empty list");
        }
        ArrayNode result = mapper.createArrayNode();
        for (Object item : list) {
            if (!(item instanceof Map<?, ?> message) || !(message.get("role") instanceof String role)) {
                throw OllamaErrors.unsupported("messages", "each message must be an object with a role");
            }
            ObjectNode converted = result.addObject().put("role", role);
            Object content = message.get("content");
            if (content instanceof String text) {
                converted.put("content", text);
            } else if (content instanceof List<?> parts) {
                StringBuilder text = new StringBuilder();
                ArrayNode images = mapper.createArrayNode();
                for (Object part : parts) {
                    readPart(part, text, images);
                }
                converted.put("content", text.toString());
                if (!images.isEmpty()) {
                    converted.set("images", images);
                }
            } else {
                converted.put("content", "");
            }
        }
        return result;
    }

    private static void readPart(Object part, StringBuilder text, ArrayNode images) {
        if (!(part instanceof Map<?, ?> map)) {
            throw OllamaErrors.unsupported("messages", "content parts must be objects");
        }
        switch (String.valueOf(map.get("type"))) {
            case "text" -> {
                if (!text.isEmpty()) {
                    text.append('\n');
                }
                text.append(map.get("text") instanceof String s ? s : "");
            }
            case "image_url" -> {
                Object image = map.get("image_url");
                String url = image instanceof Map<?, ?> m && m.get("url") instanceof String u ? u : image instanceof String u ? u : "";
                int comma = url.indexOf(',');
                if (!url.startsWith("data:") || comma < 0 || !url.substring(0, comma).endsWith(";base64")) {
                    throw OllamaErrors.unsupported("messages", "Ollama takes images as base64 data: URLs, not links");
                }
                images.add(url.substring(comma + 1));
            }
            default -> throw OllamaErrors.unsupported("messages", "content part type " + map.get("type") + " is not supported");
        }
    }

    /** The body of {@code POST /api/embed}; token-id inputs cannot be sent to Ollama. */
    byte[] embedRequest(ProviderRequest request) {
        Object input = request.payload().get("input");
        boolean text = input instanceof String
                || input instanceof List<?> list && !list.isEmpty() && list.stream().allMatch(String.class::isInstance);
        if (!text) {
            throw OllamaErrors.unsupported("input", "input must be a string or a list of strings");
        }
        ObjectNode body = mapper.createObjectNode();
        body.put("model", request.upstreamModel());
        body.set("input", mapper.valueToTree(input));
        if (request.payload().get("dimensions") instanceof Number dimensions) {
            body.put("dimensions", dimensions.intValue());
        }
        return bytes(body);
    }

    // ---- answers --------------------------------------------------------------------------------

    /** The usage in an Ollama answer (the final stream line or a whole answer), or null if it has none. */
    static Usage usage(JsonNode answer) {
        JsonNode prompt = answer.get("prompt_eval_count");
        JsonNode output = answer.get("eval_count");
        if ((prompt == null || !prompt.canConvertToLong()) && (output == null || !output.canConvertToLong())) {
            return null;
        }
        return Usage.tokens(prompt == null ? 0 : prompt.asLong(), 0, output == null ? 0 : output.asLong());
    }

    /** A whole {@code /api/chat} answer as an OpenAI chat completion. */
    byte[] completion(JsonNode answer, String id, String fallbackModel) {
        ObjectNode completion = envelope("chat.completion", id, answer, fallbackModel);
        ObjectNode choice = completion.putArray("choices").addObject().put("index", 0);
        ObjectNode message = choice.putObject("message").put("role", "assistant")
                .put("content", answer.path("message").path("content").asText(""));
        String thinking = answer.path("message").path("thinking").asText("");
        if (!thinking.isEmpty()) {
            message.put("reasoning_content", thinking);
        }
        choice.put("finish_reason", finishReason(answer));
        Usage usage = usage(answer);
        if (usage != null) {
            completion.set("usage", usageJson(usage));
        }
        return bytes(completion);
    }

    /** One streamed piece as an OpenAI chunk; the first says the role. */
    byte[] deltaChunk(JsonNode line, String id, String fallbackModel, boolean first) {
        ObjectNode chunk = envelope("chat.completion.chunk", id, line, fallbackModel);
        ObjectNode choice = chunk.putArray("choices").addObject().put("index", 0);
        ObjectNode delta = choice.putObject("delta");
        if (first) {
            delta.put("role", "assistant");
        }
        String thinking = line.path("message").path("thinking").asText("");
        if (!thinking.isEmpty()) {
            delta.put("reasoning_content", thinking);
        }
        delta.put("content", line.path("message").path("content").asText(""));
        choice.putNull("finish_reason");
        return bytes(chunk);
    }

    /** The chunk that ends the choice, from the final {@code "done": true} line. */
    byte[] finishChunk(JsonNode done, String id, String fallbackModel) {
        ObjectNode chunk = envelope("chat.completion.chunk", id, done, fallbackModel);
        ObjectNode choice = chunk.putArray("choices").addObject().put("index", 0);
        choice.putObject("delta");
        choice.put("finish_reason", finishReason(done));
        return bytes(chunk);
    }

    /** The chunk OpenAI sends last when a client asked for {@code stream_options.include_usage}. */
    byte[] usageChunk(JsonNode done, String id, String fallbackModel, Usage usage) {
        ObjectNode chunk = envelope("chat.completion.chunk", id, done, fallbackModel);
        chunk.putArray("choices");
        chunk.set("usage", usageJson(usage));
        return bytes(chunk);
    }

    /** An {@code /api/embed} answer as an OpenAI embeddings list, as floats or base64 as the client asked. */
    byte[] embeddings(JsonNode answer, boolean base64, String fallbackModel, Usage usage) {
        ObjectNode list = mapper.createObjectNode().put("object", "list");
        ArrayNode data = list.putArray("data");
        int index = 0;
        for (JsonNode vector : answer.path("embeddings")) {
            ObjectNode item = data.addObject().put("object", "embedding").put("index", index++);
            if (base64) {
                ByteBuffer buffer = ByteBuffer.allocate(vector.size() * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
                vector.forEach(value -> buffer.putFloat((float) value.asDouble()));
                item.put("embedding", Base64.getEncoder().encodeToString(buffer.array()));
            } else {
                item.set("embedding", vector);
            }
        }
        list.put("model", answer.path("model").asText(fallbackModel));
        long tokens = usage == null ? 0 : usage.inputTokens();
        list.putObject("usage").put("prompt_tokens", tokens).put("total_tokens", tokens);
        return bytes(list);
    }

    private ObjectNode envelope(String object, String id, JsonNode answer, String fallbackModel) {
        return mapper.createObjectNode().put("id", id).put("object", object).put("created", created(answer))
                .put("model", answer.path("model").asText(fallbackModel));
    }

    /** Ollama stops for {@code stop}, {@code length} (num_predict reached) or reasons OpenAI has no name for. */
    private static String finishReason(JsonNode answer) {
        return "length".equals(answer.path("done_reason").asText()) ? "length" : "stop";
    }

    private static long created(JsonNode answer) {
        try {
            return Instant.parse(answer.path("created_at").asText()).getEpochSecond();
        } catch (DateTimeParseException e) {
            return Instant.now().getEpochSecond();
        }
    }

    private ObjectNode usageJson(Usage usage) {
        return mapper.createObjectNode().put("prompt_tokens", usage.inputTokens())
                .put("completion_tokens", usage.outputTokens())
                .put("total_tokens", usage.inputTokens() + usage.outputTokens());
    }

    private byte[] bytes(JsonNode json) {
        try {
            return mapper.writeValueAsBytes(json);
        } catch (JsonProcessingException e) {
            throw OllamaErrors.unsupported(null, "the request could not be written as JSON");
        }
    }
}
