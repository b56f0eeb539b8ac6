package app.apimodels.provider.anthropic;

import app.apimodels.spi.provider.Usage;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.time.Clock;

/**
 * An Anthropic Messages answer as an OpenAI {@code chat.completion}: text blocks joined into the
 * content, {@code tool_use} blocks as tool calls (input as a JSON string of arguments), thinking
 * as {@code reasoning_content}, the stop reason as a finish reason, and the usage.
 */
final class ChatCompletion {

    private final ObjectMapper mapper;
    private final Clock clock;

    ChatCompletion(ObjectMapper mapper, Clock clock) {
        this.mapper = mapper;
        this.clock = clock;
    }

    ObjectNode translate(JsonNode message) {
        StringBuilder text = new StringBuilder();
        StringBuilder thinking = new StringBuilder();
        ArrayNode toolCalls = mapper.createArrayNode();
        for (JsonNode block : message.path("content")) {
            switch (block.path("type").asText()) {
                case "text" -> text.append(block.path("text").asText());
                case "thinking" -> thinking.append(block.path("thinking").asText());
                case "tool_use" -> toolCalls.add(toolCall(block.path("id").asText(), block.path("name").asText(),
                        mapper.valueToTree(block.path("input")).toString()));
                default -> { } // redacted thinking, server tool results: nothing an OpenAI client reads
            }
        }
        ObjectNode chat = mapper.createObjectNode();
        chat.put("id", message.path("id").asText());
        chat.put("object", "chat.completion");
        chat.put("created", clock.millis() / 1000);
        chat.put("model", message.path("model").asText());
        ObjectNode choice = chat.putArray("choices").addObject();
        choice.put("index", 0);
        ObjectNode reply = choice.putObject("message");
        reply.put("role", "assistant");
        if (text.length() > 0 || toolCalls.isEmpty()) {
            reply.put("content", text.toString());
        } else {
            reply.putNull("content");
        }
        if (thinking.length() > 0) {
            reply.put("reasoning_content", thinking.toString());
        }
        if (!toolCalls.isEmpty()) {
            reply.set("tool_calls", toolCalls);
        }
        choice.put("finish_reason", finishReason(message.path("stop_reason").asText(null)));
        chat.set("usage", openAiUsage(usage(message.path("usage"))));
        return chat;
    }

    ObjectNode toolCall(String id, String name, String arguments) {
        ObjectNode call = mapper.createObjectNode();
        call.put("id", id);
        call.put("type", "function");
        ObjectNode function = call.putObject("function");
        function.put("name", name);
        function.put("arguments", arguments);
        return call;
    }

    /** Anthropic's stop reasons in OpenAI's words; null while a stream has not stopped. */
    static String finishReason(String stopReason) {
        if (stopReason == null) {
            return null;
        }
        return switch (stopReason) {
            case "max_tokens", "model_context_window_exceeded" -> "length";
            case "tool_use" -> "tool_calls";
            case "refusal" -> "content_filter";
            default -> "stop"; // end_turn, stop_sequence, pause_turn
        };
    }

    /**
     * Anthropic counts {@code input_tokens} apart from the tokens read from and written to its
     * prompt cache; the prompt is all three. Reads are the cached part, writes the cache-write part.
     */
    static Usage usage(JsonNode usage) {
        long cacheRead = usage.path("cache_read_input_tokens").asLong(0);
        long cacheWrite = usage.path("cache_creation_input_tokens").asLong(0);
        return Usage.tokens(usage.path("input_tokens").asLong(0) + cacheRead + cacheWrite, cacheRead,
                usage.path("output_tokens").asLong(0)).withCacheWriteTokens(cacheWrite);
    }

    ObjectNode openAiUsage(Usage usage) {
        ObjectNode node = mapper.createObjectNode();
        node.put("prompt_tokens", usage.inputTokens());
        node.put("completion_tokens", usage.outputTokens());
        node.put("total_tokens", usage.inputTokens() + usage.outputTokens());
        node.putObject("prompt_tokens_details").put("cached_tokens", usage.cachedInputTokens());
        return node;
    }
}
