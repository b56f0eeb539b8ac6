package app.apimodels.core.mail;

import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * One message to send to one person, rendered from a template when the outbox job sends it.
 *
 * @param to        the recipient's address
 * @param template  one of {@link Templates#NAMES}, e.g. {@code verify-email}
 * @param locale    the language to write in (English unless Chinese is asked for)
 * @param values    the template's values, e.g. {@code link}; {@code brand} and {@code console_link}
 *                  are added by the sender
 * @param dedupeKey the same key → queued once (e.g. {@code receipt:order-42}); stored hashed; may be null
 */
public record Letter(String to, String template, Locale locale, Map<String, String> values, String dedupeKey) {

    public Letter {
        Objects.requireNonNull(to, "to");
        Objects.requireNonNull(template, "template");
        Objects.requireNonNull(locale, "locale");
        if (to.isBlank() || to.length() > 320 || to.indexOf('\r') >= 0 || to.indexOf('\n') >= 0) {
            throw new IllegalArgumentException("to must be one address on one line");
        }
        if (!Templates.NAMES.contains(template)) {
            throw new IllegalArgumentException("no mail template " + template + " (known: " + Templates.NAMES + ")");
        }
        if (dedupeKey != null && (dedupeKey.isBlank() || dedupeKey.length() > 1000)) {
            throw new IllegalArgumentException("dedupeKey must be 1 to 1000 characters");
        }
        values = values == null ? Map.of() : Map.copyOf(values);
    }
}
