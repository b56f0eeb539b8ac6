package app.apimodels.core.mail;

import app.apimodels.core.ids.Ids;
import app.apimodels.core.db.Sql;
import app.apimodels.core.failure.Failure;

import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Product announcements: mailed only to people who agreed to marketing mail, whose address is
 * verified, and who have neither restricted processing nor been erased. A service notice (a policy
 * change, a receipt) is not an announcement and does not go through here.
 */
public final class Announcements {

    /** What one announcement was queued as: its id (part of each letter's dedupe key) and how many letters. */
    public record Queued(String id, int recipients) {
    }

    private final Sql sql;
    private final Outbox outbox;

    public Announcements(Sql sql, Outbox outbox) {
        this.sql = sql;
        this.outbox = outbox;
    }

    /**
     * Queues one {@code announcement} letter per consenting person, in one transaction: all or none.
     * 400 naming {@code subject} unless it is one non-empty line, {@code body} if it is empty.
     */
    public Queued send(String subject, String body) {
        if (subject == null || subject.isBlank() || subject.indexOf('\n') >= 0 || subject.indexOf('\r') >= 0) {
            throw Failure.invalid("subject", "subject must be one non-empty line");
        }
        if (body == null || body.isBlank()) {
            throw Failure.invalid("body", "body must not be empty");
        }
        String id = Ids.prefixed("ann_");
        int recipients = sql.tx(c -> {
            List<String[]> people = Sql.list(c, "SELECT email, locale FROM apimodels_account WHERE marketing_consent"
                            + " AND email_verified_at IS NOT NULL AND restricted_at IS NULL AND deleted_at IS NULL ORDER BY id",
                    rs -> new String[] {rs.getString(1), rs.getString(2)});
            for (String[] p : people) {
                outbox.queue(c, new Letter(p[0], "announcement", Locale.forLanguageTag(p[1]),
                        Map.of("subject", subject.strip(), "body", body), id + ":" + p[0]));
            }
            return people.size();
        });
        return new Queued(id, recipients);
    }
}
