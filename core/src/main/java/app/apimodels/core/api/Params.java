package app.apimodels.core.api;

import app.apimodels.core.web.ApiException;
import app.apimodels.core.web.Text;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** Typed reads of JSON body fields and query parameters, each failure a 400 naming the field. */
public final class Params {

    private Params() {
    }

    public static String string(Map<String, Object> body, String field, boolean required) {
        Object v = body.get(field);
        if (v == null) {
            if (required) {
                throw ApiException.badRequest(field, field + " is required");
            }
            return null;
        }
        if (!(v instanceof String s)) {
            throw ApiException.badRequest(field, field + " must be a string");
        }
        return s;
    }

    /** A string field that is stored: at most {@code maxLength} characters (NULs are refused by the parser). */
    public static String string(Map<String, Object> body, String field, boolean required, int maxLength) {
        return Text.checked(field, string(body, field, required), maxLength);
    }

    /** A whole number from {@code min} to {@code max}, checked before any arithmetic uses it. */
    public static Long whole(Map<String, Object> body, String field, boolean required, long min, long max) {
        Long v = whole(body, field, required);
        if (v != null && (v < min || v > max)) {
            throw ApiException.badRequest(field, field + " must be between " + min + " and " + max);
        }
        return v;
    }

    public static Long whole(Map<String, Object> body, String field, boolean required) {
        Object v = body.get(field);
        if (v == null) {
            if (required) {
                throw ApiException.badRequest(field, field + " is required");
            }
            return null;
        }
        if (v instanceof java.math.BigInteger) {
            throw ApiException.badRequest(field, field + " is out of range");
        }
        if (!(v instanceof Long l)) {
            throw ApiException.badRequest(field, field + " must be a whole number");
        }
        return l;
    }

    /** {@code true} or {@code false}; absent is {@code fallback} unless required. */
    static boolean flag(Map<String, Object> body, String field, boolean required, boolean fallback) {
        Object v = body.get(field);
        if (v == null) {
            if (required) {
                throw ApiException.badRequest(field, field + " is required");
            }
            return fallback;
        }
        if (!(v instanceof Boolean b)) {
            throw ApiException.badRequest(field, field + " must be true or false");
        }
        return b;
    }

    /** An array of non-blank strings, each at most {@code maxLength} characters and at most {@code maxItems} of them. */
    public static Set<String> strings(Map<String, Object> body, String field, int maxItems, int maxLength) {
        Object v = body.get(field);
        if (v == null) {
            return Set.of();
        }
        if (v instanceof List<?> l && l.size() > maxItems) {
            throw ApiException.badRequest(field, field + " must have at most " + maxItems + " entries");
        }
        if (v instanceof List<?> l && l.stream().allMatch(x -> x instanceof String s && !s.isBlank())) {
            l.forEach(x -> Text.checked(field, (String) x, maxLength));
            List<String> out = new ArrayList<>();
            l.forEach(x -> out.add((String) x));
            return new LinkedHashSet<>(out);
        }
        throw ApiException.badRequest(field, field + " must be an array of strings");
    }

    public static Long queryLong(String raw, String name) {
        if (raw == null || raw.isBlank()) {
            return null;
        }
        if (raw.length() > 30) {
            throw ApiException.badRequest(name, name + " must be a whole number");
        }
        try {
            return Long.parseLong(raw.trim());
        } catch (NumberFormatException e) {
            throw ApiException.badRequest(name, name + " must be a whole number");
        }
    }

    public static int limit(String raw) {
        Long v = queryLong(raw, "limit");
        if (v == null) {
            return 100;
        }
        if (v < 1 || v > 1000) {
            throw ApiException.badRequest("limit", "limit must be between 1 and 1000");
        }
        return v.intValue();
    }
}
