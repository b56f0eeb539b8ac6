package app.apimodels.core.api;

import app.apimodels.core.web.ApiException;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** Typed reads of JSON body fields and query parameters, each failure a 400 naming the field. */
final class Params {

    private Params() {
    }

    static String string(Map<String, Object> body, String field, boolean required) {
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

    static Long whole(Map<String, Object> body, String field, boolean required) {
        Object v = body.get(field);
        if (v == null) {
            if (required) {
                throw ApiException.badRequest(field, field + " is required");
            }
            return null;
        }
        if (!(v instanceof Long l)) {
            throw ApiException.badRequest(field, field + " must be a whole number");
        }
        return l;
    }

    static Set<String> strings(Map<String, Object> body, String field) {
        Object v = body.get(field);
        if (v == null) {
            return Set.of();
        }
        if (v instanceof List<?> l && l.stream().allMatch(x -> x instanceof String s && !s.isBlank())) {
            List<String> out = new ArrayList<>();
            l.forEach(x -> out.add((String) x));
            return new LinkedHashSet<>(out);
        }
        throw ApiException.badRequest(field, field + " must be an array of strings");
    }

    static Long queryLong(String raw, String name) {
        if (raw == null || raw.isBlank()) {
            return null;
        }
        try {
            return Long.parseLong(raw.trim());
        } catch (NumberFormatException e) {
            throw ApiException.badRequest(name, name + " must be a whole number");
        }
    }

    static int limit(String raw) {
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
