package app.apimodels.core.relay;

import app.apimodels.core.web.Json;
import app.apimodels.json.JsonStrings;
import app.apimodels.core.web.Sse;

import java.nio.charset.StandardCharsets;

/**
 * Puts the public model name back into upstream answers, so clients see the name they asked for
 * and a reseller's upstream stays private. Works on the raw bytes (the first {@code "model"}
 * member whose value is the upstream name), so answers are not parsed and re-encoded on the way;
 * it runs on every answer and every streamed chunk, so a name in plain ASCII (as model names are)
 * is compared and written in place, without building its bytes first.
 */
final class ModelName {

    private static final byte[] KEY = "\"model\"".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] NOTHING = {};

    private ModelName() {
    }

    static byte[] rewrite(byte[] json, String upstream, String publicName) {
        return rewrite(NOTHING, json, upstream, publicName, NOTHING);
    }

    /**
     * {@link #rewrite(byte[], String, String)} between {@code head} and {@code tail}, in one new array
     * (the same array if both are empty and nothing changes): a streamed chunk's server-sent event is
     * written around it at once instead of from a rewritten copy.
     */
    static byte[] rewrite(byte[] head, byte[] json, String upstream, String publicName, byte[] tail) {
        if (!upstream.equals(publicName)) {
            long span = span(json, upstream);
            if (span >= 0) {
                return Json.withString(head, json, (int) (span >>> 32), (int) span, publicName, tail);
            }
        }
        return head.length == 0 && tail.length == 0 ? json : Sse.frame(head, json, tail);
    }

    /**
     * Where the value of the first {@code "model"} member naming {@code upstream} starts (high 32
     * bits) and ends (low 32 bits), or -1: two ints without an array per chunk.
     */
    private static long span(byte[] json, String upstream) {
        for (int i = indexOf(json, KEY, 0); i >= 0; i = indexOf(json, KEY, i + 1)) {
            int j = skipSpaces(json, i + KEY.length);
            if (j >= json.length || json[j] != ':') {
                continue;
            }
            j = skipSpaces(json, j + 1);
            int end = quotedAt(json, j, upstream);
            if (end >= 0) {
                return (long) j << 32 | end;
            }
        }
        return -1;
    }

    /** The index after the JSON string {@code "s"} (as a plain literal) if it starts at {@code at}, else -1. */
    private static int quotedAt(byte[] b, int at, String s) {
        if (!JsonStrings.plain(s)) {
            byte[] quoted = ("\"" + s + "\"").getBytes(StandardCharsets.UTF_8);
            return regionMatches(b, at, quoted) ? at + quoted.length : -1;
        }
        int end = at + s.length() + 2;
        if (end > b.length || b[at] != '"' || b[end - 1] != '"') {
            return -1;
        }
        for (int k = 0; k < s.length(); k++) {
            if (b[at + 1 + k] != s.charAt(k)) {
                return -1;
            }
        }
        return end;
    }

    private static int skipSpaces(byte[] b, int i) {
        while (i < b.length && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r')) {
            i++;
        }
        return i;
    }

    private static boolean regionMatches(byte[] b, int at, byte[] what) {
        if (at + what.length > b.length) {
            return false;
        }
        for (int k = 0; k < what.length; k++) {
            if (b[at + k] != what[k]) {
                return false;
            }
        }
        return true;
    }

    private static int indexOf(byte[] b, byte[] what, int from) {
        for (int i = from; i + what.length <= b.length; i++) {
            if (regionMatches(b, i, what)) {
                return i;
            }
        }
        return -1;
    }
}
