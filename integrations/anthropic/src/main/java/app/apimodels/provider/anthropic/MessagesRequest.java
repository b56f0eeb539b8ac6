package app.apimodels.provider.anthropic;

import app.apimodels.spi.provider.ProviderException;
import app.apimodels.spi.provider.ProviderException.Kind;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * An OpenAI chat-completions request turned into an Anthropic Messages request: system and
 * developer messages become {@code system}; user and assistant turns become content blocks
 * (text, images as base64 or URL sources, {@code tool_use} for assistant tool calls); tool
 * answers become {@code tool_result} blocks in a user turn; consecutive turns of one role are
 * joined, as Messages wants roles to alternate. {@code max_tokens} is required upstream: the
 * client's, or the configured default. Messages gives one answer, so {@code n} other than 1 is
 * refused; fields it has no equivalent for (penalties, logprobs, response_format, seed) are dropped.
 */
final class MessagesRequest {

    private final ObjectMapper mapper;

    MessagesRequest(ObjectMapper mapper) {
        this.mapper = mapper;
    }

    Map<String, Object> translate(Map<String, Object> chat, String upstreamModel, long defaultMaxTokens, boolean stream) {
        if (chat.get("n") instanceof Number n && n.longValue() != 1) {
            throw invalid("n", "this model answers with one choice: n must be 1");
        }
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("model", upstreamModel);
        Object maxTokens = chat.get("max_completion_tokens") != null ? chat.get("max_completion_tokens") : chat.get("max_tokens");
        body.put("max_tokens", maxTokens != null ? maxTokens : defaultMaxTokens);
        List<Map<String, Object>> system = new ArrayList<>();
        List<Map<String, Object>> messages = new ArrayList<>();
        if (!(chat.get("messages") instanceof List<?> given)) {
            throw invalid("messages", "messages must be an array");
        }
        for (int i = 0; i < given.size(); i++) {
            String field = "messages[" + i + "]";
            if (!(given.get(i) instanceof Map<?, ?> message)) {
                throw invalid(field, field + " must be an object");
            }
            String role = String.valueOf(message.get("role"));
            switch (role) {
                case "system", "developer" -> system.addAll(textBlocks(message.get("content"), field));
                case "user" -> append(messages, "user", userBlocks(message.get("content"), field));
                case "assistant" -> append(messages, "assistant", assistantBlocks(message, field));
                case "tool" -> append(messages, "user", List.of(toolResult(message, field)));
                default -> throw invalid(field + ".role", "unsupported role '" + role + "'");
            }
        }
        if (!system.isEmpty()) {
            body.put("system", system);
        }
        body.put("messages", messages);
        Object stop = chat.get("stop");
        if (stop instanceof String one) {
            body.put("stop_sequences", List.of(one));
        } else if (stop instanceof List<?> many && !many.isEmpty()) {
            body.put("stop_sequences", many);
        }
        copy(chat, "temperature", body);
        copy(chat, "top_p", body);
        if (chat.get("user") instanceof String user) {
            body.put("metadata", Map.of("user_id", user));
        }
        tools(chat, body);
        if (stream) {
            body.put("stream", true);
        }
        return body;
    }

    private static void copy(Map<String, Object> from, String field, Map<String, Object> to) {
        if (from.get(field) != null) {
            to.put(field, from.get(field));
        }
    }

    /** Joins a turn to the previous one if both have the same role. */
    private static void append(List<Map<String, Object>> messages, String role, List<Map<String, Object>> blocks) {
        Map<String, Object> last = messages.isEmpty() ? null : messages.get(messages.size() - 1);
        if (last != null && role.equals(last.get("role"))) {
            @SuppressWarnings("unchecked")
            List<Map<String, Object>> content = (List<Map<String, Object>>) last.get("content");
            content.addAll(blocks);
        } else {
            Map<String, Object> message = new LinkedHashMap<>();
            message.put("role", role);
            message.put("content", new ArrayList<>(blocks));
            messages.add(message);
        }
    }

    private static List<Map<String, Object>> textBlocks(Object content, String field) {
        List<Map<String, Object>> blocks = new ArrayList<>();
        if (content instanceof String text) {
            if (!text.isEmpty()) {
                blocks.add(text(text));
            }
            return blocks;
        }
        for (Map<?, ?> part : parts(content, field)) {
            if ("text".equals(part.get("type")) && part.get("text") instanceof String text) {
                blocks.add(text(text));
            } else {
                throw invalid(field + ".content", "only text parts are allowed here");
            }
        }
        return blocks;
    }

    private static List<Map<String, Object>> userBlocks(Object content, String field) {
        if (content instanceof String text) {
            return List.of(text(text));
        }
        List<Map<String, Object>> blocks = new ArrayList<>();
        for (Map<?, ?> part : parts(content, field)) {
            Object type = part.get("type");
            if ("text".equals(type) && part.get("text") instanceof String text) {
                blocks.add(text(text));
            } else if ("image_url".equals(type)) {
                blocks.add(image(part.get("image_url"), field));
            } else {
                throw invalid(field + ".content", "unsupported content part type '" + type + "'");
            }
        }
        return blocks;
    }

    private static List<Map<?, ?>> parts(Object content, String field) {
        if (content == null) {
            return List.of();
        }
        if (!(content instanceof List<?> list)) {
            throw invalid(field + ".content", field + ".content must be a string or an array of parts");
        }
        List<Map<?, ?>> parts = new ArrayList<>();
        for (Object part : list) {
            if (!(part instanceof Map<?, ?> map)) {
                throw invalid(field + ".content", "each content part must be an object");
            }
            parts.add(map);
        }
        return parts;
    }

    /** {@code data:} URLs are sent inline as base64; others as URL sources Anthropic fetches. */
    private static Map<String, Object> image(Object imageUrl, String field) {
        Object url = imageUrl instanceof Map<?, ?> m ? m.get("url") : imageUrl;
        if (!(url instanceof String address) || address.isBlank()) {
            throw invalid(field + ".content", "image_url.url must be a URL");
        }
        Map<String, Object> source = new LinkedHashMap<>();
        if (address.startsWith("data:")) {
            int comma = address.indexOf(',');
            String meta = comma < 0 ? "" : address.substring(5, comma);
            if (comma < 0 || !meta.endsWith(";base64")) {
                throw invalid(field + ".content", "image data URLs must be base64-encoded");
            }
            source.put("type", "base64");
            source.put("media_type", meta.substring(0, meta.length() - ";base64".length()));
            source.put("data", address.substring(comma + 1));
        } else {
            source.put("type", "url");
            source.put("url", address);
        }
        Map<String, Object> block = new LinkedHashMap<>();
        block.put("type", "image");
        block.put("source", source);
        return block;
    }

    private List<Map<String, Object>> assistantBlocks(Map<?, ?> message, String field) {
        List<Map<String, Object>> blocks = new ArrayList<>(textBlocks(message.get("content"), field));
        if (message.get("tool_calls") instanceof List<?> calls) {
            for (int i = 0; i < calls.size(); i++) {
                String callField = field + ".tool_calls[" + i + "]";
                if (!(calls.get(i) instanceof Map<?, ?> call) || !(call.get("function") instanceof Map<?, ?> function)) {
                    throw invalid(callField, callField + " must be a function call");
                }
                Map<String, Object> block = new LinkedHashMap<>();
                block.put("type", "tool_use");
                block.put("id", String.valueOf(call.get("id")));
                block.put("name", String.valueOf(function.get("name")));
                block.put("input", arguments(function.get("arguments"), callField + ".function.arguments"));
                blocks.add(block);
            }
        }
        return blocks;
    }

    /** Tool input must be a JSON object upstream; OpenAI carries it as a string of JSON. */
    private Object arguments(Object arguments, String field) {
        if (arguments == null || (arguments instanceof String s && s.isBlank())) {
            return Map.of();
        }
        if (arguments instanceof Map<?, ?>) {
            return arguments;
        }
        try {
            Object parsed = mapper.readValue(String.valueOf(arguments), Object.class);
            if (parsed instanceof Map<?, ?>) {
                return parsed;
            }
        } catch (IOException e) {
            // answered below
        }
        throw invalid(field, field + " must be a JSON object");
    }

    private static Map<String, Object> toolResult(Map<?, ?> message, String field) {
        if (!(message.get("tool_call_id") instanceof String id)) {
            throw invalid(field + ".tool_call_id", field + ".tool_call_id is required for tool messages");
        }
        Map<String, Object> block = new LinkedHashMap<>();
        block.put("type", "tool_result");
        block.put("tool_use_id", id);
        block.put("content", textBlocks(message.get("content"), field));
        return block;
    }

    private static void tools(Map<String, Object> chat, Map<String, Object> body) {
        if (chat.get("tools") instanceof List<?> tools && !tools.isEmpty()) {
            List<Map<String, Object>> translated = new ArrayList<>();
            for (int i = 0; i < tools.size(); i++) {
                if (!(tools.get(i) instanceof Map<?, ?> tool) || !(tool.get("function") instanceof Map<?, ?> function)
                        || !(function.get("name") instanceof String name)) {
                    throw invalid("tools[" + i + "]", "tools[" + i + "] must be a function with a name");
                }
                Map<String, Object> definition = new LinkedHashMap<>();
                definition.put("name", name);
                if (function.get("description") instanceof String description) {
                    definition.put("description", description);
                }
                definition.put("input_schema", function.get("parameters") instanceof Map<?, ?> schema
                        ? schema : Map.of("type", "object", "properties", Map.of()));
                translated.add(definition);
            }
            body.put("tools", translated);
        }
        Map<String, Object> choice = toolChoice(chat.get("tool_choice"));
        if (Boolean.FALSE.equals(chat.get("parallel_tool_calls")) && body.containsKey("tools")) {
            if (choice == null) {
                choice = new LinkedHashMap<>(Map.of("type", "auto"));
            }
            if (!"none".equals(choice.get("type"))) {
                choice.put("disable_parallel_tool_use", true);
            }
        }
        if (choice != null) {
            body.put("tool_choice", choice);
        }
    }

    private static Map<String, Object> toolChoice(Object choice) {
        if (choice == null) {
            return null;
        }
        Map<String, Object> translated = new LinkedHashMap<>();
        if (choice instanceof String mode) {
            switch (mode) {
                case "auto", "none" -> translated.put("type", mode);
                case "required" -> translated.put("type", "any");
                default -> throw invalid("tool_choice", "tool_choice must be auto, none, required or a function");
            }
        } else if (choice instanceof Map<?, ?> named && named.get("function") instanceof Map<?, ?> function
                && function.get("name") instanceof String name) {
            translated.put("type", "tool");
            translated.put("name", name);
        } else {
            throw invalid("tool_choice", "tool_choice must be auto, none, required or a function");
        }
        return translated;
    }

    private static Map<String, Object> text(String text) {
        Map<String, Object> block = new LinkedHashMap<>();
        block.put("type", "text");
        block.put("text", text);
        return block;
    }

    private static ProviderException invalid(String param, String message) {
        return new ProviderException(Kind.INVALID_REQUEST, 400, message, param, null);
    }
}
