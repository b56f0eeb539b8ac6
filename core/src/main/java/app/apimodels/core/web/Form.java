package app.apimodels.core.web;

import app.apimodels.spi.web.Exchange;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A submitted HTML form ({@code application/x-www-form-urlencoded}): what a browser posts without
 * script. Fields keep their order; a name given more than once (checkboxes) keeps every value.
 */
public record Form(Map<String, List<String>> fields) {

    /** The media type of a form a browser posts. */
    public static final String TYPE = "application/x-www-form-urlencoded";

    public Form {
        fields = Map.copyOf(fields);
    }

    /** True when the request carries a form (by its {@code Content-Type}, parameters such as a charset ignored). */
    public static boolean carriedBy(Exchange ex) {
        String type = ex.header("Content-Type");
        return type != null && type.toLowerCase(Locale.ROOT).startsWith(TYPE);
    }

    /** The request body as a form; 415 naming {@code Content-Type} when it is something else. */
    public static Form of(Exchange ex) {
        if (!carriedBy(ex)) {
            throw new ApiException(415, "unsupported_media_type", "send the form as " + TYPE, "Content-Type", Map.of());
        }
        return parse(new String(ex.body(), StandardCharsets.UTF_8));
    }

    /** Parses {@code a=1&b=2}; a malformed escape is the client's 400 naming the field. */
    public static Form parse(String encoded) {
        Map<String, List<String>> fields = new LinkedHashMap<>();
        if (!encoded.isEmpty()) {
            for (String pair : encoded.split("&")) {
                if (pair.isEmpty()) {
                    continue;
                }
                int eq = pair.indexOf('=');
                String name = decode(eq < 0 ? pair : pair.substring(0, eq), "form");
                String value = eq < 0 ? "" : decode(pair.substring(eq + 1), name);
                fields.computeIfAbsent(name, n -> new java.util.ArrayList<>()).add(value);
            }
        }
        return new Form(fields);
    }

    /** The field's first value, or null when it was not sent. */
    public String get(String name) {
        List<String> values = fields.get(name);
        return values == null ? null : values.get(0);
    }

    /** Every value of the field (none when it was not sent). */
    public List<String> all(String name) {
        return fields.getOrDefault(name, List.of());
    }

    private static String decode(String s, String field) {
        try {
            return URLDecoder.decode(s, StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            throw ApiException.badRequest(Text.printable(field), Text.printable(field) + " is not form-encoded (a malformed % escape)");
        }
    }
}
