package app.apimodels.console;

import app.apimodels.core.auth.Caller;
import app.apimodels.core.config.Keys;
import app.apimodels.core.extension.Services;
import app.apimodels.core.web.ApiException;
import app.apimodels.core.web.Form;
import app.apimodels.core.web.Handler;
import app.apimodels.core.web.Request;
import app.apimodels.core.web.Router;
import app.apimodels.core.web.Router.Access;
import app.apimodels.spi.web.Exchange;
import app.apimodels.spi.web.Response;
import gg.jte.ContentType;
import gg.jte.TemplateEngine;
import gg.jte.output.Utf8ByteOutput;

import java.net.URI;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What a {@link Section} builds its pages with: the engine's services, routes under
 * {@code /console/}, the menu, and the answers every console page gives — an HTML page from a
 * precompiled jte template, a 303 redirect, an error page — each with the console's security
 * headers (a strict Content-Security-Policy: no inline script or style anywhere).
 */
public final class Console {

    private static final String HTML = "text/html; charset=utf-8";

    private final Map<String, String> security;
    private final Router router;
    private final Services services;
    private final Assets assets;
    private final Nav nav = new Nav();
    private final TemplateEngine templates;

    Console(Router router, Services services, Assets assets) {
        this.router = router;
        this.services = services;
        this.assets = assets;
        this.security = Map.of(
                "Content-Security-Policy", csp(services.settings().get(Keys.MEDIA_REDIRECT)
                        ? services.media().linkOrigin() : Optional.empty()),
                "X-Content-Type-Options", "nosniff",
                "Referrer-Policy", "same-origin");
        // Classes compiled from src/main/jte at build time; nothing is compiled at run time.
        this.templates = TemplateEngine.createPrecompiled(null, ContentType.Html, Console.class.getClassLoader(),
                "gg.jte.generated.precompiled");
    }

    /**
     * What every console answer carries: scripts and styles only from our own files, no frames, no
     * plug-ins. File previews ({@code <img>}, {@code <audio>}, {@code <video>}) link to {@code /media/…},
     * which redirects to the storage's own link when {@code apimodels.media.redirect} is on and the
     * storage hands links out (S3): then exactly that storage's origin may serve images and media.
     */
    static String csp(Optional<String> mediaOrigin) {
        String media = mediaOrigin.map(o -> " " + o).orElse("");
        return "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:" + media + "; "
                + (media.isEmpty() ? "" : "media-src 'self'" + media + "; ")
                + "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'";
    }

    /** The engine's services (accounts, sessions, keys, ledger, billing, …): pages call them directly. */
    public Services services() {
        return services;
    }

    /**
     * Adds a route; {@code path} starts with {@code /console}. {@link Access#ACCOUNT} and
     * {@link Access#ADMIN} pages need a signed-in browser (or an API key): without one the browser is
     * sent to the log-in page, which brings it back here.
     */
    public Console route(String method, String path, Access access, Handler handler) {
        if (!path.equals("/console") && !path.startsWith("/console/")) {
            throw new IllegalArgumentException("console routes live under /console/: " + path);
        }
        router.add(method, path, access, handler);
        return this;
    }

    /** Adds a menu entry: the message key of its text and the page's path. */
    public Console nav(Nav.Area area, String messageKey, String path) {
        nav.add(area, messageKey, path);
        return this;
    }

    /** The words of the request's language. */
    public Messages messages(Exchange ex) {
        return Messages.of(Language.of(ex));
    }

    /** The model every template gets as {@code page}, for this request and title (a message key). */
    public Page page(Request r, String titleKey) {
        return page(r.exchange(), r.caller(), titleKey);
    }

    private Page page(Exchange ex, Caller caller, String titleKey) {
        Messages m = messages(ex);
        String root = root(ex);
        boolean signedIn = caller != null && caller.session() != null;
        List<Nav.Link> people = signedIn ? nav.links(Nav.Area.PEOPLE, m, root, ex.path()) : List.of();
        List<Nav.Link> operators = signedIn && caller.isAdmin() ? nav.links(Nav.Area.OPERATORS, m, root, ex.path()) : List.of();
        return new Page(m, assets, root, ex.path(), m.t(titleKey), signedIn ? caller.session().csrfToken() : null, people, operators);
    }

    /** Answers with {@code template} (a file of src/main/jte), given {@code page} and the model's values. */
    public void render(Request r, int status, String template, String titleKey, Map<String, Object> model) {
        r.exchange().respond(html(status, template, page(r, titleKey), model));
    }

    /** The same, for a model of one value or none. */
    public void render(Request r, String template, String titleKey) {
        render(r, 200, template, titleKey, Map.of());
    }

    private Response html(int status, String template, Page page, Map<String, Object> model) {
        Map<String, Object> params = new HashMap<>(model);
        params.put("page", page);
        Utf8ByteOutput out = new Utf8ByteOutput();
        templates.render(template, params, out);
        Map<String, String> headers = new LinkedHashMap<>(security);
        // Pages carry the session's CSRF token and the account's data: never cached.
        headers.put("Cache-Control", "no-store");
        return new Response(status, HTML, out.toByteArray(), headers);
    }

    /** A 303 to a path under the mount (after a form is handled, so a reload does not post it again). */
    public void redirect(Request r, String under) {
        redirect(r.exchange(), under, Map.of());
    }

    void redirect(Exchange ex, String under, Map<String, String> more) {
        ex.respond(redirectResponse(ex, under, more));
    }

    private Response redirectResponse(Exchange ex, String under, Map<String, String> more) {
        Map<String, String> headers = new LinkedHashMap<>(security);
        headers.putAll(more);
        headers.put("Location", root(ex) + under);
        headers.put("Cache-Control", "no-store");
        return new Response(303, null, null, headers);
    }

    /** The submitted form (415 naming Content-Type for anything else). */
    public Form form(Request r) {
        return Form.of(r.exchange());
    }

    /** Answers with a static file of {@link Assets} (it brings its own cache headers). */
    void asset(Request r) {
        Response file = assets.serve(r.exchange(), r.param("name"));
        Map<String, String> headers = new LinkedHashMap<>(security);
        headers.putAll(file.headers());
        r.exchange().respond(new Response(file.status(), file.contentType(), file.body(), headers));
    }

    /**
     * A failure on a console path: a browser that is not signed in (401) goes to the log-in page and
     * comes back after; any other failure is an HTML page with the status and the engine's safe
     * message (never a stack trace).
     */
    Response failure(Exchange ex, ApiException error) {
        if (error.status() == 401) {
            String back = "GET".equals(ex.method()) ? ex.path() + (ex.rawQuery() == null ? "" : "?" + ex.rawQuery()) : "/console/";
            return redirectResponse(ex, "/console/login?next=" + Next.escaped(back), Map.of());
        }
        Map<String, Object> model = Map.of("status", error.status(), "message", message(ex, error));
        Response page = html(error.status(), "error.jte", page(ex, null, "error.title"), model);
        Map<String, String> headers = new LinkedHashMap<>(page.headers());
        error.headers().forEach((name, value) -> {
            if (!name.equalsIgnoreCase("WWW-Authenticate")) {
                headers.put(name, value); // Allow, Retry-After
            }
        });
        return new Response(page.status(), page.contentType(), page.body(), headers);
    }

    /**
     * A failure's message in the page's language where the console words its code
     * ({@code error.<code>} in the messages), else the engine's own (English, safe to show).
     */
    public String message(Exchange ex, ApiException error) {
        Messages m = messages(ex);
        String key = "error." + error.code();
        String text = m.t(key);
        return text.equals(key) ? error.getMessage() : text;
    }

    /** The mount's path as the browser sees it, {@code ""} at the root. */
    static String root(Exchange ex) {
        String path = URI.create(ex.baseUrl()).getRawPath();
        return path == null ? "" : path.replaceAll("/+$", "");
    }
}
