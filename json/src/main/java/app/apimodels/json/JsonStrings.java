package app.apimodels.json;

import com.fasterxml.jackson.core.io.JsonStringEncoder;

/**
 * A string value's bytes inside a JSON document, written without a generator: as it is when it
 * needs no escaping (the usual case for model names and token text), else as Jackson escapes it.
 */
public final class JsonStrings {

    private JsonStrings() {
    }

    /** Whether a JSON string holds {@code s} byte for byte: printable ASCII without a quote or backslash. */
    public static boolean plain(String s) {
        for (int k = 0; k < s.length(); k++) {
            char c = s.charAt(k);
            if (c < 0x20 || c >= 0x7f || c == '"' || c == '\\') {
                return false;
            }
        }
        return true;
    }

    /** What goes between the quotes for {@code s} as Jackson writes it, or null when {@code s} is {@link #plain}. */
    public static byte[] escaped(String s) {
        return plain(s) ? null : JsonStringEncoder.getInstance().quoteAsUTF8(s);
    }

    /** How many bytes {@link #put} writes for {@code s} and its {@link #escaped} form. */
    public static int length(String s, byte[] escaped) {
        return escaped == null ? s.length() : escaped.length;
    }

    /** Writes {@code s} (without quotes) at {@code out[at]}; returns the index after it. */
    public static int put(String s, byte[] escaped, byte[] out, int at) {
        if (escaped == null) {
            for (int k = 0; k < s.length(); k++) {
                out[at + k] = (byte) s.charAt(k);
            }
            return at + s.length();
        }
        System.arraycopy(escaped, 0, out, at, escaped.length);
        return at + escaped.length;
    }
}
