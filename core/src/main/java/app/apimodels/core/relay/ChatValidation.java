package app.apimodels.core.relay;

import app.apimodels.core.failure.Failure;

import java.util.List;
import java.util.Map;

/** Checks the fields the gateway itself relies on; everything else is the upstream's to judge. */
final class ChatValidation {

    /** Above any model's output, and small enough that {@code n × max_tokens × price} stays exact. */
    static final long MAX_TOKENS = 100_000_000;

    private ChatValidation() {
    }

    static String model(Map<String, Object> p) {
        Object model = p.get("model");
        if (model == null) {
            throw Failure.invalid("model", "you must provide a model parameter");
        }
        if (!(model instanceof String s) || s.isBlank()) {
            throw Failure.invalid("model", "model must be a non-empty string");
        }
        return s;
    }

    static boolean stream(Map<String, Object> p) {
        Object v = p.get("stream");
        if (v == null) {
            return false;
        }
        if (v instanceof Boolean b) {
            return b;
        }
        throw Failure.invalid("stream", "stream must be a boolean");
    }

    static List<?> messages(Map<String, Object> p) {
        Object v = p.get("messages");
        if (v == null) {
            throw Failure.invalid("messages", "messages is required");
        }
        if (!(v instanceof List<?> list) || list.isEmpty()) {
            throw Failure.invalid("messages", "messages must be a non-empty array");
        }
        for (int i = 0; i < list.size(); i++) {
            if (!(list.get(i) instanceof Map<?, ?> m)) {
                throw Failure.invalid("messages[" + i + "]", "messages[" + i + "] must be an object");
            }
            if (!(m.get("role") instanceof String)) {
                throw Failure.invalid("messages[" + i + "].role", "messages[" + i + "].role must be a string");
            }
            Object content = m.get("content");
            if (content != null && !(content instanceof String) && !(content instanceof List)) {
                throw Failure.invalid("messages[" + i + "].content",
                        "messages[" + i + "].content must be a string or an array of content parts");
            }
        }
        return list;
    }

    /** {@code max_completion_tokens} or {@code max_tokens}, or null if neither is given. */
    static Long maxTokens(Map<String, Object> p) {
        Long a = positive(p, "max_completion_tokens", MAX_TOKENS);
        Long b = positive(p, "max_tokens", MAX_TOKENS);
        return a != null ? a : b;
    }

    /** {@code max_tokens}, which Anthropic's Messages API requires. */
    static long requiredMaxTokens(Map<String, Object> p) {
        Long max = positive(p, "max_tokens", MAX_TOKENS);
        if (max == null) {
            throw Failure.invalid("max_tokens", "max_tokens is required");
        }
        return max;
    }

    static long choices(Map<String, Object> p) {
        Long n = positive(p, "n", 128);
        return n == null ? 1 : n;
    }

    static Object embeddingInput(Map<String, Object> p) {
        Object v = p.get("input");
        if (v == null) {
            throw Failure.invalid("input", "input is required");
        }
        if (v instanceof String || (v instanceof List<?> l && !l.isEmpty())) {
            return v;
        }
        throw Failure.invalid("input", "input must be a string or a non-empty array");
    }

    private static Long positive(Map<String, Object> p, String field, long max) {
        Object v = p.get(field);
        if (v == null) {
            return null;
        }
        if (v instanceof Long l && l >= 1 && l <= max) {
            return l;
        }
        if (v instanceof Long || v instanceof java.math.BigInteger) {
            throw Failure.invalid(field, field + " must be between 1 and " + max);
        }
        throw Failure.invalid(field, field + " must be a positive integer");
    }
}
