package app.apimodels.core.relay;

import app.apimodels.core.failure.Failure;

import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What the gateway checks in a Responses API request before it holds and forwards it. The body is
 * otherwise passed through as the client sent it; refused are only the features that would reach
 * state the upstream keeps for the reseller's whole account (another customer's stored responses,
 * conversations, files), or cost money the reported usage does not show.
 */
final class ResponsesValidation {

    /** Tools the model calls back to the client: their cost is in the usage. Hosted tools bill per call and read stored data. */
    private static final Set<String> CLIENT_TOOLS = Set.of("function", "custom");

    private ResponsesValidation() {
    }

    static void check(Map<String, Object> p) {
        Object input = p.get("input");
        if (input == null) {
            throw Failure.invalid("input", "input is required");
        }
        if (!(input instanceof String) && !(input instanceof List<?> l && !l.isEmpty())) {
            throw Failure.invalid("input", "input must be a string or a non-empty array of input items");
        }
        Object instructions = p.get("instructions");
        if (instructions != null && !(instructions instanceof String)) {
            throw Failure.invalid("instructions", "instructions must be a string");
        }
        // The upstream keeps responses and conversations under the reseller's key, shared by every
        // account: continuing one would read another account's conversation, at a size no hold bounds.
        refuse(p, "previous_response_id", "continuing a stored response is not offered here; send the whole conversation in input");
        refuse(p, "conversation", "stored conversations are not offered here; send the whole conversation in input");
        if (p.get("background") != null && !Boolean.FALSE.equals(p.get("background"))) {
            throw Failure.invalid("background", "background responses are not offered here (they are read back later, which this gateway does not serve)");
        }
        Object tools = p.get("tools");
        if (tools != null) {
            if (!(tools instanceof List<?> list)) {
                throw Failure.invalid("tools", "tools must be an array");
            }
            for (int i = 0; i < list.size(); i++) {
                Object type = list.get(i) instanceof Map<?, ?> tool ? tool.get("type") : null;
                if (!(type instanceof String t) || !CLIENT_TOOLS.contains(t)) {
                    throw Failure.invalid("tools[" + i + "].type", "only function and custom tools are offered here; hosted tools"
                            + " (web search, file search, code interpreter, …) are billed per call and read the upstream account's data");
                }
            }
        }
    }

    /** {@code max_output_tokens}, or null if not given. */
    static Long maxOutputTokens(Map<String, Object> p) {
        Object v = p.get("max_output_tokens");
        if (v == null) {
            return null;
        }
        if (v instanceof Long l && l >= 1 && l <= ChatValidation.MAX_TOKENS) {
            return l;
        }
        if (v instanceof Long || v instanceof java.math.BigInteger) {
            throw Failure.invalid("max_output_tokens", "max_output_tokens must be between 1 and " + ChatValidation.MAX_TOKENS);
        }
        throw Failure.invalid("max_output_tokens", "max_output_tokens must be a positive integer");
    }

    private static void refuse(Map<String, Object> p, String field, String message) {
        if (p.get(field) != null) {
            throw Failure.invalid(field, message);
        }
    }
}
