package app.apimodels.core.db;

/**
 * Makes text storable in a {@code VARCHAR(n)} column on every supported database: PostgreSQL
 * refuses a NUL in text, and both databases refuse a value longer than its column. Used at the
 * repository edge for text that comes from outside (an upstream's error message, a provider's
 * model name), where refusing the row would lose the record it belongs to.
 */
public final class Storable {

    private Storable() {
    }

    /**
     * {@code value} without control characters (tab, line feed and carriage return are kept),
     * cut to at most {@code maxLength} UTF-16 units without splitting a surrogate pair; null stays null.
     */
    public static String text(String value, int maxLength) {
        if (value == null) {
            return null;
        }
        StringBuilder out = null;
        for (int i = 0; i < value.length(); i++) {
            char ch = value.charAt(i);
            boolean keep = !Character.isISOControl(ch) || ch == '\t' || ch == '\n' || ch == '\r';
            if (!keep && out == null) {
                out = new StringBuilder(value.length()).append(value, 0, i);
            } else if (keep && out != null) {
                out.append(ch);
            }
        }
        String clean = out == null ? value : out.toString();
        if (clean.length() <= maxLength) {
            return clean;
        }
        int end = Character.isHighSurrogate(clean.charAt(maxLength - 1)) ? maxLength - 1 : maxLength;
        return clean.substring(0, end);
    }
}
