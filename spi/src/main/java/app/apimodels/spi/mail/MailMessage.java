package app.apimodels.spi.mail;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * One message to send. Addresses are {@code user@example.com} or
 * {@code Display Name <user@example.com>}; no field that becomes a header may contain a line
 * break, so nothing a user typed can add headers.
 *
 * @param from           the sender, or null for the mailer's configured {@code from}
 * @param to             the recipients, at least one
 * @param subject        the subject line (any Unicode)
 * @param text           the plain-text body, or null if there is only HTML
 * @param html           the HTML body, or null if there is only text; at least one of the two
 * @param tags           names and values for the mail service's analytics (Resend tags, SES
 *                       message tags), e.g. {@code kind=verify-email}; letters, digits,
 *                       {@code _} and {@code -} only; services without tags ignore them
 * @param replyTo        where replies go, or null for the sender
 * @param idempotencyKey the same key when the same message is sent again (a retry after a
 *                       timeout), so services that de-duplicate send it once; or null
 */
public record MailMessage(String from, List<String> to, String subject, String text, String html,
                          Map<String, String> tags, String replyTo, String idempotencyKey) {

    public MailMessage {
        Objects.requireNonNull(to, "to");
        Objects.requireNonNull(subject, "subject");
        to = List.copyOf(to);
        if (to.isEmpty()) {
            throw new IllegalArgumentException("a message has at least one recipient");
        }
        if (text == null && html == null) {
            throw new IllegalArgumentException("a message has a text or an HTML body");
        }
        tags = tags == null ? Map.of() : java.util.Collections.unmodifiableMap(new LinkedHashMap<>(tags));
        singleLine("from", from);
        to.forEach(address -> singleLine("to", address));
        singleLine("subject", subject);
        singleLine("replyTo", replyTo);
        singleLine("idempotencyKey", idempotencyKey);
        tags.forEach((name, value) -> {
            if (!name.matches("[A-Za-z0-9_-]{1,256}") || !value.matches("[A-Za-z0-9_-]{1,256}")) {
                throw new IllegalArgumentException("tag names and values are letters, digits, _ and -: " + name);
            }
        });
    }

    /** A message from the configured sender with only a text body. */
    public static MailMessage text(String to, String subject, String text) {
        return new MailMessage(null, List.of(to), subject, text, null, Map.of(), null, null);
    }

    private static void singleLine(String field, String value) {
        if (value != null && (value.indexOf('\r') >= 0 || value.indexOf('\n') >= 0)) {
            throw new IllegalArgumentException(field + " must not contain a line break");
        }
    }
}
