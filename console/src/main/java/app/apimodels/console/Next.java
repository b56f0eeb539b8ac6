package app.apimodels.console;

/**
 * Where a page sends the browser after logging in ({@code ?next=}): only a console path of this
 * site, so a link cannot make the log-in page an open redirect to another one.
 */
final class Next {

    static final String HOME = "/console/";

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
}
