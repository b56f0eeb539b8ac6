package app.apimodels.core.sessions;

import app.apimodels.spi.web.Exchange;

import java.net.URI;
import java.util.Locale;

/**
 * Where people reach the service: the configured public URL ({@code apimodels.public-url}), else
 * the address each request came to. Mailed links start here, the session cookie is scoped to it,
 * and a browser's change must come from its origin.
 */
public final class Site {

    private final URI configured;

    /** @param configured {@code apimodels.public-url}, or null */
    public Site(URI configured) {
        this.configured = configured;
    }

    /** The mount as clients reach it, without a trailing slash: the base of mailed links. */
    public String base(Exchange ex) {
        return base(ex.baseUrl());
    }

    /** The same for a request that came to {@code requestBase}. */
    public String base(String requestBase) {
        String base = configured != null ? configured.toString() : requestBase;
        return base.replaceAll("/+$", "");
    }

    /** HTTPS, by the public URL or by the request itself: the cookie is then {@code Secure} and {@code __Host-}. */
    public boolean secure(Exchange ex) {
        return isHttps(configured) || isHttps(parse(ex.baseUrl()));
    }

    /** The mount's path ({@code /} at the root): where the cookie is sent when it is not {@code __Host-}. */
    public String path(Exchange ex) {
        URI base = parse(base(ex));
        String path = base == null ? null : base.getRawPath();
        return path == null || path.isEmpty() ? "/" : path;
    }

    /** {@code scheme://host[:port]} of the service, as a browser writes it in {@code Origin}. */
    public String origin(Exchange ex) {
        URI base = parse(base(ex));
        return base == null ? null : origin(base);
    }

    /** The origin of an absolute URL (default ports left out), or null if it has none. */
    static String origin(URI uri) {
        if (uri.getScheme() == null || uri.getHost() == null) {
            return null;
        }
        String scheme = uri.getScheme().toLowerCase(Locale.ROOT);
        int port = uri.getPort();
        boolean defaultPort = port == -1 || ("http".equals(scheme) && port == 80) || ("https".equals(scheme) && port == 443);
        return scheme + "://" + uri.getHost().toLowerCase(Locale.ROOT) + (defaultPort ? "" : ":" + port);
    }

    /** A URL sent by a client or an adapter, or null if it is not one. */
    static URI parse(String url) {
        try {
            return url == null ? null : new URI(url);
        } catch (java.net.URISyntaxException e) {
            return null;
        }
    }

    private static boolean isHttps(URI uri) {
        return uri != null && "https".equalsIgnoreCase(uri.getScheme());
    }
}
