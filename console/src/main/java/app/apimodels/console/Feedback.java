package app.apimodels.console;

import java.util.Map;

/**
 * A form shown again after it failed: what was typed (never a password) and what went wrong, with
 * the field at fault, so the page puts the message next to that field.
 *
 * @param field the field at fault, or null when the message is about the whole form
 */
public record Feedback(Map<String, String> values, String error, String field) {

    public static final Feedback EMPTY = new Feedback(Map.of(), null, null);

    public Feedback {
        values = Map.copyOf(values);
    }

    /** What was typed in {@code name} ({@code ""} when nothing). */
    public String value(String name) {
        return values.getOrDefault(name, "");
    }

    /** The message for {@code name}, or null when that field is fine. */
    public String errorFor(String name) {
        return name.equals(field) ? error : null;
    }

    /** The message when it is about no single field (or a field the page does not show). */
    public String general(String... shownFields) {
        if (error == null) {
            return null;
        }
        for (String f : shownFields) {
            if (f.equals(field)) {
                return null;
            }
        }
        return error;
    }
}
