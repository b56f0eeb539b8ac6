package app.apimodels.provider.gemini;

import app.apimodels.spi.provider.ProviderException;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Turns an OpenAI chat-completion request into a Gemini {@code GenerateContentRequest}: system
 * messages become the {@code systemInstruction}, the assistant is the {@code model} role, tool
 * results are {@code functionResponse} parts, and sampling settings go to {@code generationConfig}.
 * What Gemini cannot take (an image by URL of unknown type) is refused naming the field.
 */
final class ChatRequests {

    /** Image types Gemini reads, by file extension, for images given by URL. */
    private static final Map<String, String> IMAGE_TYPES = Map.of(
            "png", "image/png", "jpg", "image/jpeg", "jpeg", "image/jpeg", "webp", "image/webp",
            "gif", "image/gif", "heic", "image/heic", "heif", "image/heif");

    private final ObjectMapper mapper;

    ChatRequests(ObjectMapper mapper) {
        this.mapper = mapper;
    }

    Map<String, Object> generateContent(Map<String, Object> chat) {
        Map<String, Object> body = new LinkedHashMap<>();
        List<Map<String, Object>> system = new ArrayList<>();
        List<Map<String, Object>> contents = new ArrayList<>();
        // Gemini names a function result by the function's name; OpenAI by the call's id.
        Map<String, String> callNames = new HashMap<>();
        if (!(chat.get("messages") instanceof List<?> messages) || messages.isEmpty()) {
            throw invalid("messages must be a non-empty array", "messages");
        }
        for (int i = 0; i < messages.size(); i++) {
            String field = "messages[" + i + "]";
            if (!(messages.get(i) instanceof Map<?, ?> message)) {
                throw invalid(field + " must be an object", field);
            }
            String role = String.valueOf(message.get("role"));
            switch (role) {
                case "system", "developer" -> system.addAll(parts(message.get("content"), field + ".content"));
                case "user" -> add(contents, "user", parts(message.get("content"), field + ".content"));
                case "assistant" -> add(contents, "model", assistantParts(message, field, callNames));
                case "tool" -> add(contents, "user", List.of(functionResponse(message, field, callNames)));
                default -> throw invalid(field + ".role must be system, developer, user, assistant or tool", field + ".role");
            }
        }
        if (contents.isEmpty()) {
            throw invalid("messages must hold at least one user message", "messages");
        }
        body.put("contents", contents);
        if (!system.isEmpty()) {
            body.put("systemInstruction", Map.of("parts", system));
        }
        Map<String, Object> config = generationConfig(chat);
        if (!config.isEmpty()) {
            body.put("generationConfig", config);
        }
        tools(chat, body);
        return body;
    }

    /** Consecutive turns of one role become one content, as Gemini expects turns to alternate. */
    private static void add(List<Map<String, Object>> contents, String role, List<Map<String, Object>> parts) {
        if (parts.isEmpty()) {
            return;
        }
        if (!contents.isEmpty() && role.equals(contents.get(contents.size() - 1).get("role"))) {
            @SuppressWarnings("unchecked")
            List<Map<String, Object>> last = (List<Map<String, Object>>) contents.get(contents.size() - 1).get("parts");
            last.addAll(parts);
            return;
        }
        Map<String, Object> content = new LinkedHashMap<>();
        content.put("role", role);
        content.put("parts", new ArrayList<>(parts));
        contents.add(content);
    }

    private List<Map<String, Object>> parts(Object content, String field) {
        if (content == null) {
            return List.of();
        }
        if (content instanceof String text) {
            // An empty part is refused by Gemini; OpenAI clients send "" beside tool calls.
            return text.isEmpty() ? List.of() : List.of(Map.of("text", text));
        }
        if (!(content instanceof List<?> list)) {
            throw invalid(field + " must be a string or an array of parts", field);
        }
        List<Map<String, Object>> parts = new ArrayList<>();
        for (int j = 0; j < list.size(); j++) {
            String partField = field + "[" + j + "]";
            if (!(list.get(j) instanceof Map<?, ?> part)) {
                throw invalid(partField + " must be an object", partField);
            }
            Object type = part.get("type");
            if ("text".equals(type) && part.get("text") instanceof String text) {
                parts.add(Map.of("text", text));
            } else if ("image_url".equals(type)) {
                Object url = part.get("image_url") instanceof Map<?, ?> image ? image.get("url") : part.get("image_url");
                parts.add(image(url, partField + ".image_url.url"));
            } else {
                throw invalid(partField + ": only text and image_url parts are supported", partField + ".type");
            }
        }
        return parts;
    }

    /** A data: URL is sent inline; an http(s) URL by reference, which Gemini needs typed. */
    private static Map<String, Object> image(Object value, String field) {
        if (!(value instanceof String url) || url.isBlank()) {
            throw invalid(field + " must be a URL", field);
        }
        if (url.startsWith("data:")) {
            int comma = url.indexOf(',');
            String meta = comma < 0 ? "" : url.substring(5, comma);
            if (!meta.endsWith(";base64") || meta.length() == ";base64".length()) {
                throw invalid(field + " must be a base64 data URL with a media type", field);
            }
            return Map.of("inlineData", Map.of("mimeType", meta.substring(0, meta.length() - ";base64".length()),
                    "data", url.substring(comma + 1)));
        }
        String lower = url.toLowerCase(Locale.ROOT);
        if (!lower.startsWith("https://") && !lower.startsWith("http://")) {
            throw invalid(field + " must be an http(s) or data: URL", field);
        }
        String path = lower.replaceAll("[?#].*$", "");
        String type = IMAGE_TYPES.get(path.substring(path.lastIndexOf('.') + 1));
        if (type == null) {
            throw invalid(field + ": Gemini needs the media type of an image given by URL; use a URL ending in "
                    + ".png, .jpg, .webp, .gif, .heic or .heif, or a data: URL", field);
        }
        return Map.of("fileData", Map.of("mimeType", type, "fileUri", url));
    }

    private List<Map<String, Object>> assistantParts(Map<?, ?> message, String field, Map<String, String> callNames) {
        List<Map<String, Object>> parts = new ArrayList<>(parts(message.get("content"), field + ".content"));
        if (message.get("tool_calls") instanceof List<?> calls) {
            for (int k = 0; k < calls.size(); k++) {
                String callField = field + ".tool_calls[" + k + "]";
                if (!(calls.get(k) instanceof Map<?, ?> call) || !(call.get("function") instanceof Map<?, ?> function)
                        || !(function.get("name") instanceof String name)) {
                    throw invalid(callField + " must be a function call with a name", callField);
                }
                if (call.get("id") instanceof String id) {
                    callNames.put(id, name);
                }
                Map<String, Object> functionCall = new LinkedHashMap<>();
                functionCall.put("name", name);
                functionCall.put("args", arguments(function.get("arguments"), callField + ".function.arguments"));
                parts.add(Map.of("functionCall", functionCall));
            }
        }
        return parts;
    }

    private Object arguments(Object arguments, String field) {
        if (arguments == null || "".equals(arguments)) {
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
        } catch (JsonProcessingException e) {
            // refused below
        }
        throw invalid(field + " must be a JSON object", field);
    }

    private Map<String, Object> functionResponse(Map<?, ?> message, String field, Map<String, String> callNames) {
        String name = callNames.get(String.valueOf(message.get("tool_call_id")));
        if (name == null) {
            throw invalid(field + ".tool_call_id must name a tool call of an earlier assistant message", field + ".tool_call_id");
        }
        Object content = message.get("content");
        if (content instanceof List<?>) {
            StringBuilder text = new StringBuilder();
            parts(content, field + ".content").forEach(part -> text.append(part.getOrDefault("text", "")));
            content = text.toString();
        }
        Object response = null;
        if (content instanceof String text) {
            try {
                response = mapper.readValue(text, Object.class);
            } catch (JsonProcessingException e) {
                response = null;
            }
            if (!(response instanceof Map<?, ?>)) {
                response = Map.of("content", text); // Gemini takes an object; plain results are wrapped
            }
        }
        if (response == null) {
            throw invalid(field + ".content must be a string", field + ".content");
        }
        return Map.of("functionResponse", Map.of("name", name, "response", response));
    }

    private static Map<String, Object> generationConfig(Map<String, Object> chat) {
        Map<String, Object> config = new LinkedHashMap<>();
        Object maxTokens = chat.get("max_completion_tokens") != null ? chat.get("max_completion_tokens") : chat.get("max_tokens");
        copy(config, "maxOutputTokens", maxTokens);
        copy(config, "temperature", chat.get("temperature"));
        copy(config, "topP", chat.get("top_p"));
        copy(config, "seed", chat.get("seed"));
        copy(config, "presencePenalty", chat.get("presence_penalty"));
        copy(config, "frequencyPenalty", chat.get("frequency_penalty"));
        Object stop = chat.get("stop");
        if (stop instanceof String sequence) {
            config.put("stopSequences", List.of(sequence));
        } else if (stop instanceof List<?> sequences) {
            config.put("stopSequences", sequences);
        }
        if (chat.get("response_format") instanceof Map<?, ?> format) {
            Object type = format.get("type");
            if ("json_object".equals(type)) {
                config.put("responseMimeType", "application/json");
            } else if ("json_schema".equals(type) && format.get("json_schema") instanceof Map<?, ?> schema) {
                config.put("responseMimeType", "application/json");
                copy(config, "responseJsonSchema", schema.get("schema"));
            }
        }
        return config;
    }

    private static void copy(Map<String, Object> to, String key, Object value) {
        if (value != null) {
            to.put(key, value);
        }
    }

    private static void tools(Map<String, Object> chat, Map<String, Object> body) {
        if (chat.get("tools") instanceof List<?> tools && !tools.isEmpty()) {
            List<Map<String, Object>> declarations = new ArrayList<>();
            for (int t = 0; t < tools.size(); t++) {
                String field = "tools[" + t + "]";
                if (!(tools.get(t) instanceof Map<?, ?> tool) || !"function".equals(tool.get("type"))
                        || !(tool.get("function") instanceof Map<?, ?> function) || !(function.get("name") instanceof String name)) {
                    throw invalid(field + " must be a function tool with a name", field);
                }
                Map<String, Object> declaration = new LinkedHashMap<>();
                declaration.put("name", name);
                copy(declaration, "description", function.get("description"));
                // JSON Schema as given: Gemini's own Schema type is only an OpenAPI subset.
                copy(declaration, "parametersJsonSchema", function.get("parameters"));
                declarations.add(declaration);
            }
            body.put("tools", List.of(Map.of("functionDeclarations", declarations)));
        }
        Object choice = chat.get("tool_choice");
        Map<String, Object> calling = new LinkedHashMap<>();
        if ("none".equals(choice)) {
            calling.put("mode", "NONE");
        } else if ("auto".equals(choice)) {
            calling.put("mode", "AUTO");
        } else if ("required".equals(choice)) {
            calling.put("mode", "ANY");
        } else if (choice instanceof Map<?, ?> named && named.get("function") instanceof Map<?, ?> function
                && function.get("name") instanceof String name) {
            calling.put("mode", "ANY");
            calling.put("allowedFunctionNames", List.of(name));
        } else if (choice != null) {
            throw invalid("tool_choice must be none, auto, required or a named function", "tool_choice");
        }
        if (!calling.isEmpty()) {
            body.put("toolConfig", Map.of("functionCallingConfig", calling));
        }
    }

    private static ProviderException invalid(String message, String param) {
        return new ProviderException(ProviderException.Kind.INVALID_REQUEST, 0, message, param, null);
    }
}
