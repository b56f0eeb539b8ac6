package app.apimodels.core.relay;

import java.nio.charset.StandardCharsets;

/**
 * Puts the public model name back into upstream answers, so clients see the name they asked for
 * and a reseller's upstream stays private. Works on the raw bytes (the first {@code "model"}
 * member whose value is the upstream name), so answers are not parsed and re-encoded on the way.
 */
final class ModelName {

    private static final byte[] KEY = "\"model\"".getBytes(StandardCharsets.US_ASCII);

    private ModelName() {
    }

    static byte[] rewrite(byte[] json, String upstream, String publicName) {
        if (upstream.equals(publicName)) {
            return json;
        }
        byte[] from = ("\"" + upstream + "\"").getBytes(StandardCharsets.UTF_8);
        for (int i = indexOf(json, KEY, 0); i >= 0; i = indexOf(json, KEY, i + 1)) {
            int j = skipSpaces(json, i + KEY.length);
            if (j >= json.length || json[j] != ':') {
                continue;
            }
            j = skipSpaces(json, j + 1);
            if (regionMatches(json, j, from)) {
                byte[] to = ("\"" + escape(publicName) + "\"").getBytes(StandardCharsets.UTF_8);
                byte[] out = new byte[json.length - from.length + to.length];
                System.arraycopy(json, 0, out, 0, j);
                System.arraycopy(to, 0, out, j, to.length);
                System.arraycopy(json, j + from.length, out, j + to.length, json.length - j - from.length);
                return out;
            }
        }
        return json;
    }

    private static String escape(String s) {
        return s.replace("\\", "\\\\").replace("\"", "\\\"");
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
