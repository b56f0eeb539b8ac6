package app.apimodels.console;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;

/**
 * Where a page sends the browser after logging in ({@code ?next=}): only a console path of this
 * site, so a link cannot make the log-in page an open redirect to another one.
 */
final class Next {

    static final String HOME = "/console/";
    /**
     * The longest {@code next} a redirect carries as a query value, escaped: a server keeps the
     * response's headers in a buffer of fixed size (4 KiB in the quickstart) and answers 500 past it.
     */
    private static final int MAX_ESCAPED = 2000;

    private Next() {
    }

    /** {@code next} if it is a path under {@code /console} on this site; the dashboard otherwise. */
    static String safe(String next) {
        if (next == null || next.length() > 2000 || !(next.equals("/console") || next.startsWith("/console/"))) {
            return HOME;
        }
        for (int i = 0; i < next.length(); i++) {
            char c = next.charAt(i);
            // "//" or "\" could be read as another host; control characters could split a header
            if (c == '\\' || c < 0x20 || c == 0x7f || (c == '/' && i + 1 < next.length() && next.charAt(i + 1) == '/')) {
                return HOME;
            }
        }
        return next;
    }

    /**
     * {@link #safe} {@code next} escaped as a query value; the dashboard's when escaping made it
     * longer than {@value #MAX_ESCAPED} characters (each escaped byte takes three).
     */
    static String escaped(String next) {
        String value = URLEncoder.encode(safe(next), StandardCharsets.UTF_8);
        return value.length() <= MAX_ESCAPED ? value : URLEncoder.encode(HOME, StandardCharsets.UTF_8);
    }
}
