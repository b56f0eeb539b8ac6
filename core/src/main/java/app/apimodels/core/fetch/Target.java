package app.apimodels.core.fetch;

import org.apache.hc.client5.http.classic.methods.HttpUriRequestBase;
import org.apache.hc.core5.http.HttpHost;
import org.apache.hc.core5.net.URIAuthority;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.Locale;

/**
 * A URL taken apart the way the fetcher will use it. The authority is parsed here rather than by
 * {@link URI#getHost()}, which gives up on hosts such as {@code 127.1} or {@code a_b.example}; the
 * request is then addressed by the canonical host, never by a string the client could re-interpret.
 */
record Target(URI url, String scheme, String host, int port) {

    static Target of(URI url) throws FetchException {
        if (url == null || url.getScheme() == null) {
            throw FetchException.badUrl("an absolute http or https URL is required");
        }
        String scheme = url.getScheme().toLowerCase(Locale.ROOT);
        if (!scheme.equals("http") && !scheme.equals("https")) {
            throw FetchException.badScheme(scheme);
        }
        String authority = url.getRawAuthority();
        if (url.isOpaque() || authority == null || authority.isEmpty()) {
            throw FetchException.badUrl("the URL has no host");
        }
        if (authority.indexOf('@') >= 0) {
            throw FetchException.badUrl("URLs with user credentials are not accepted");
        }
        try {
            String hostText = authority;
            String portText = "";
            int colon = authority.startsWith("[") ? authority.indexOf(']') + 1 : authority.lastIndexOf(':');
            if (colon > 0 && colon < authority.length()) {
                if (authority.charAt(colon) != ':') {
                    throw new IllegalArgumentException("invalid authority");
                }
                hostText = authority.substring(0, colon);
                portText = authority.substring(colon + 1);
            }
            String host = Hosts.canonical(hostText);
            int port = portText.isEmpty() ? (scheme.equals("https") ? 443 : 80) : Hosts.port(portText);
            return new Target(url, scheme, host, port);
        } catch (IllegalArgumentException e) {
            throw FetchException.badUrl(e.getMessage());
        }
    }

    /** Where the HTTP client connects; no address is set, so the {@link Vetter} supplies it. */
    HttpHost httpHost() {
        return new HttpHost(scheme, host, port);
    }

    /** Points a request at this target in origin form; the path is the URL's, still percent-encoded. */
    <R extends HttpUriRequestBase> R address(R request) {
        String path = url.getRawPath() == null || url.getRawPath().isEmpty() ? "/" : url.getRawPath();
        request.setScheme(scheme);
        request.setAuthority(new URIAuthority(host, port));
        request.setPath(url.getRawQuery() == null ? path : path + "?" + url.getRawQuery());
        return request;
    }

    /** A redirect's Location, resolved against this URL. */
    URI resolve(String location) throws FetchException {
        try {
            URI base = url.getRawPath() == null || url.getRawPath().isEmpty() ? url.resolve("/") : url;
            return base.resolve(new URI(location.trim()));
        } catch (URISyntaxException | IllegalArgumentException e) {
            throw FetchException.badUrl("the redirect from " + host + " has an invalid Location");
        }
    }
}
