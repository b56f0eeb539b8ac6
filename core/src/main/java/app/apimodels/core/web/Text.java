package app.apimodels.core.web;

import app.apimodels.spi.web.Exchange;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;

/**
 * Checks on client text before it reaches storage: a length the column holds and no NUL (which
 * PostgreSQL refuses in text). Failing either is the client's 400 naming the field, never the
 * database's 503.
 */
public final class Text {

    private Text() {
    }

    /** {@code value} itself if it is at most {@code maxLength} characters and NUL-free (null passes). */
    public static String checked(String field, String value, int maxLength) {
        if (value == null) {
            return null;
        }
        if (value.length() > maxLength) {
            throw ApiException.badRequest(field, field + " must be at most " + maxLength + " characters");
        }
        if (value.indexOf('\0') >= 0) {
            throw ApiException.badRequest(field, field + " must not contain NUL characters");
        }
        return value;
    }

    /**
     * Refuses a request whose path, query parameters or headers carry a NUL, before anything looks
     * them up: a path as 404 (an id with a NUL names nothing), the others as 400 naming the parameter
     * or header.
     */
    public static void checkRequestLine(Exchange exchange) {
        String path = exchange.path();
        if (path.indexOf('\0') >= 0 || path.toLowerCase().contains("%00")) {
            throw new ApiException(404, "not_found", "no such endpoint");
        }
        String query = exchange.rawQuery();
        if (query != null && (query.indexOf('\0') >= 0 || query.contains("%00"))) {
            for (String pair : query.split("&")) {
                int eq = pair.indexOf('=');
                String name = decode(eq < 0 ? pair : pair.substring(0, eq));
                if (pair.indexOf('\0') >= 0 || pair.contains("%00")) {
                    throw ApiException.badRequest(printable(name), "query parameter " + printable(name) + " must not contain NUL characters");
                }
            }
        }
        exchange.headers().forEach((name, value) -> {
            if (value != null && value.indexOf('\0') >= 0) {
                throw ApiException.badRequest(name, "header " + name + " must not contain NUL characters");
            }
        });
    }

    /** A name as it may be echoed: NULs and other control characters shown as {@code ?}. */
    static String printable(String name) {
        StringBuilder b = new StringBuilder(Math.min(name.length(), 100));
        name.codePoints().limit(100).forEach(c -> b.appendCodePoint(Character.isISOControl(c) ? '?' : c));
        return b.toString();
    }

    private static String decode(String s) {
        try {
            return URLDecoder.decode(s, StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            return s;
        }
    }
}
