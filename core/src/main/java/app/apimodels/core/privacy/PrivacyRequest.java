package app.apimodels.core.privacy;

/**
 * A request made under the privacy rights, as the operator must be able to show it: what was asked,
 * when, by when it had to be answered, and what was done.
 *
 * @param completedAt null while it is being carried out
 * @param outcome     what was done (fields, counts), never the personal data itself; null until done
 */
public record PrivacyRequest(String id, long accountId, Kind kind, State state, long receivedAt, long dueAt,
                             Long completedAt, String outcome) {

    /** The right exercised. */
    public enum Kind {
        /** Access and portability: the export archive. */
        EXPORT,
        /** Rectification of personal data. */
        CORRECT,
        /** Erasure: the account's personal data deleted or anonymised. */
        DELETE,
        /** Restriction of processing, set or lifted. */
        RESTRICT,
        /** Objection to direct marketing. */
        OBJECT;

        public String dbValue() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }

        public static Kind of(String v) {
            return valueOf(v.toUpperCase(java.util.Locale.ROOT));
        }
    }

    public enum State {
        RECEIVED, COMPLETED, FAILED;

        public String dbValue() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }

        public static State of(String v) {
            return valueOf(v.toUpperCase(java.util.Locale.ROOT));
        }
    }
}
