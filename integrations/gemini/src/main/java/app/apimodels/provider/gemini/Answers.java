package app.apimodels.provider.gemini;

import app.apimodels.spi.provider.Usage;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.Locale;
import java.util.Set;

/**
 * Turns Gemini's {@code GenerateContentResponse}s into OpenAI's {@code chat.completion} (a whole
 * answer) and {@code chat.completion.chunk} (one event of a stream). Only the first candidate is
 * read. Function calls get made-up ids, {@code call_<response id>_<n>}: stable within one answer,
 * so a client can quote them back. Thought parts (summaries of the model's thinking) are left out
 * of the text; their tokens are billed as output.
 */
final class Answers {

    private static final Set<String> FILTERED = Set.of("SAFETY", "RECITATION", "BLOCKLIST", "PROHIBITED_CONTENT",
            "SPII", "IMAGE_SAFETY");

    private final ObjectMapper mapper;

    Answers(ObjectMapper mapper) {
        this.mapper = mapper;
    }

    /** A whole answer in OpenAI's format. */
    ObjectNode completion(JsonNode response, String model, long created) {
        Turn turn = turn(response, 0);
        ObjectNode message = mapper.createObjectNode().put("role", "assistant");
        message.put("content", turn.text());
        if (!turn.toolCalls().isEmpty()) {
            message.set("tool_calls", turn.toolCalls());
        }
        ObjectNode choice = mapper.createObjectNode().put("index", 0);
        choice.set("message", message);
        choice.put("finish_reason", turn.finishReason() == null ? "stop" : turn.finishReason());
        ObjectNode completion = envelope(response, "chat.completion", model, created);
        completion.putArray("choices").add(choice);
        Usage usage = usage(response);
        if (usage != null) {
            completion.set("usage", usageJson(response.path("usageMetadata"), usage));
        }
        return completion;
    }

    /** One stream event in OpenAI's format, given what it says ({@link #turn}). */
    ObjectNode chunk(JsonNode response, Turn turn, String id, String model, long created, boolean first) {
        ObjectNode delta = mapper.createObjectNode();
        if (first) {
            delta.put("role", "assistant");
        }
        if (!turn.text().isEmpty() || first) {
            delta.put("content", turn.text());
        }
        if (!turn.toolCalls().isEmpty()) {
            delta.set("tool_calls", turn.toolCalls());
        }
        ObjectNode choice = mapper.createObjectNode().put("index", 0);
        choice.set("delta", delta);
        if (turn.finishReason() == null) {
            choice.putNull("finish_reason");
        } else {
            choice.put("finish_reason", turn.finishReason());
        }
        ObjectNode chunk = mapper.createObjectNode().put("id", id).put("object", "chat.completion.chunk")
                .put("created", created).put("model", model);
        chunk.putArray("choices").add(choice);
        return chunk;
    }

    /** The chat id for an answer: Gemini's response id, if it gave one. */
    static String id(JsonNode response) {
        String responseId = response.path("responseId").asText("");
        return "chatcmpl-" + (responseId.isEmpty() ? Integer.toHexString(response.hashCode()) : responseId);
    }

    /**
     * What one response says. {@code toolCallsBefore} counts the calls of earlier events of a
     * stream, so indexes and ids go on across it. {@code finishReason} is null while a stream goes on; a prompt
     * blocked outright ({@code promptFeedback.blockReason}, no candidates) is a content filter.
     */
    Turn turn(JsonNode response, int toolCallsBefore) {
        JsonNode candidate = response.path("candidates").path(0);
        StringBuilder text = new StringBuilder();
        ArrayNode toolCalls = mapper.createArrayNode();
        String callPrefix = "call_" + id(response).substring("chatcmpl-".length()) + "_";
        for (JsonNode part : candidate.path("content").path("parts")) {
            if (part.path("thought").asBoolean(false)) {
                continue;
            }
            JsonNode partText = part.get("text");
            if (partText != null && partText.isTextual()) {
                text.append(partText.asText());
            }
            JsonNode call = part.get("functionCall");
            if (call != null && call.isObject()) {
                int index = toolCallsBefore + toolCalls.size();
                ObjectNode toolCall = mapper.createObjectNode().put("index", index)
                        .put("id", call.hasNonNull("id") ? call.get("id").asText() : callPrefix + index)
                        .put("type", "function");
                JsonNode args = call.path("args");
                toolCall.putObject("function").put("name", call.path("name").asText())
                        .put("arguments", args.isObject() ? args.toString() : "{}");
                toolCalls.add(toolCall);
            }
        }
        String finish = null;
        if (candidate.hasNonNull("finishReason")) {
            String reason = candidate.get("finishReason").asText().toUpperCase(Locale.ROOT);
            if (FILTERED.contains(reason)) {
                finish = "content_filter";
            } else if (reason.equals("MAX_TOKENS")) {
                finish = "length";
            } else {
                finish = "stop";
            }
        } else if (response.path("promptFeedback").hasNonNull("blockReason")) {
            finish = "content_filter";
        }
        if ("stop".equals(finish) && (toolCallsBefore > 0 || !toolCalls.isEmpty())) {
            finish = "tool_calls";
        }
        return new Turn(text.toString(), toolCalls, finish);
    }

    record Turn(String text, ArrayNode toolCalls, String finishReason) {
    }

    /**
     * Gemini's {@code usageMetadata} as usage: the prompt (with tool-use prompt tokens) is input,
     * of which {@code cachedContentTokenCount} came from the cache; candidates and thoughts are
     * output. Null if the response has none.
     */
    static Usage usage(JsonNode response) {
        JsonNode metadata = response.get("usageMetadata");
        if (metadata == null || !metadata.isObject()) {
            return null;
        }
        return Usage.tokens(metadata.path("promptTokenCount").asLong(0) + metadata.path("toolUsePromptTokenCount").asLong(0),
                metadata.path("cachedContentTokenCount").asLong(0),
                metadata.path("candidatesTokenCount").asLong(0) + metadata.path("thoughtsTokenCount").asLong(0));
    }

    private ObjectNode usageJson(JsonNode metadata, Usage usage) {
        ObjectNode json = mapper.createObjectNode().put("prompt_tokens", usage.inputTokens())
                .put("completion_tokens", usage.outputTokens())
                .put("total_tokens", usage.inputTokens() + usage.outputTokens());
        json.putObject("prompt_tokens_details").put("cached_tokens", usage.cachedInputTokens());
        json.putObject("completion_tokens_details").put("reasoning_tokens", metadata.path("thoughtsTokenCount").asLong(0));
        return json;
    }

    /**
     * The answer's envelope. Its model is the one asked for, never Gemini's {@code modelVersion}:
     * the engine puts the public name in place of the route's model, and any other name would show
     * clients the reseller's upstream.
     */
    private ObjectNode envelope(JsonNode response, String object, String model, long created) {
        return mapper.createObjectNode().put("id", id(response)).put("object", object).put("created", created)
                .put("model", model);
    }
}
