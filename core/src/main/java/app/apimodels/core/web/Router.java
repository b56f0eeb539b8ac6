package app.apimodels.core.web;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Maps method and path templates ({@code /admin/users/{id}/credits}) to handlers. Small and
 * explicit on purpose: the routes of the engine are listed in one place ({@code Routes}).
 */
public final class Router {

    /** Who may call a route. */
    public enum Access {
        /** Anyone. */
        PUBLIC,
        /** An API key only (the OpenAI-compatible {@code /v1}). */
        KEY,
        /** An API key or a browser session (with CSRF and origin checks on changes). */
        KEY_OR_SESSION,
        /**
         * An API key or a browser session, even of an account yet to accept the policy in force:
         * what it needs to put that right or to leave (read the account, accept, log out).
         */
        ACCOUNT,
        /** An admin's API key or an admin's browser session. */
        ADMIN
    }

    public record Route(String method, String template, Access access, Handler handler) {
    }

    public record Match(Route route, Map<String, String> params) {
    }

    private record Compiled(Route route, String[] parts) {
    }

    private final List<Compiled> routes = new ArrayList<>();

    public Router add(String method, String template, Access access, Handler handler) {
        routes.add(new Compiled(new Route(method, template, access, handler), split(template)));
        return this;
    }

    public List<Route> routes() {
        return routes.stream().map(Compiled::route).toList();
    }

    /** The matching route, or an {@link ApiException} 404/405. */
    public Match match(String method, String path) {
        String[] parts = split(path);
        Set<String> allowed = new TreeSet<>();
        for (Compiled c : routes) {
            Map<String, String> params = matchParts(c.parts, parts);
            if (params != null) {
                if (c.route.method().equals(method)) {
                    return new Match(c.route, params);
                }
                allowed.add(c.route.method());
            }
        }
        if (!allowed.isEmpty()) {
            throw new ApiException(405, "method_not_allowed", method + " is not supported on " + path
                    + "; use " + String.join(", ", allowed), null, Map.of("Allow", String.join(", ", allowed)));
        }
        throw new ApiException(404, "not_found", "no such endpoint: " + method + " " + path);
    }

    private static Map<String, String> matchParts(String[] template, String[] path) {
        if (template.length != path.length) {
            return null;
        }
        Map<String, String> params = null;
        for (int i = 0; i < template.length; i++) {
            String t = template[i];
            if (t.startsWith("{")) {
                if (path[i].isEmpty()) {
                    return null;
                }
                if (params == null) {
                    params = new HashMap<>(4);
                }
                params.put(t.substring(1, t.length() - 1), path[i]);
            } else if (!t.equals(path[i])) {
                return null;
            }
        }
        return params == null ? Map.of() : params;
    }

    private static String[] split(String path) {
        String p = path.startsWith("/") ? path.substring(1) : path;
        if (p.endsWith("/")) {
            p = p.substring(0, p.length() - 1);
        }
        return p.split("/", -1);
    }
}
