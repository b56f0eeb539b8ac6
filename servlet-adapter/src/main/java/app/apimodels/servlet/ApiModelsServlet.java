package app.apimodels.servlet;

import app.apimodels.core.ApiModels;
import jakarta.servlet.ServletException;
import jakarta.servlet.UnavailableException;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletMapping;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import jakarta.servlet.http.MappingMatch;

import java.util.Objects;

/**
 * Serves the apimodels API from a servlet container: every request below the servlet's mapping is
 * handed to the {@link ApiModels} engine, which answers asynchronously.
 *
 * <p>Where the engine comes from:
 * <ul>
 *   <li>programmatic registration passes it to {@link #ApiModelsServlet(ApiModels)}; the one-line
 *       way is {@link ApiModelsMount#register};</li>
 *   <li>a servlet the container instantiates itself (declared in {@code web.xml}) reads it in
 *       {@link #init()} from the {@code ServletContext} attribute {@link #ENGINE_ATTRIBUTE}, which
 *       must be set before the servlet initialises (e.g. by a {@code ServletContextListener}).</li>
 * </ul>
 * Either way the servlet must be mapped to a path pattern such as {@code /api/*} or {@code /*} and
 * registered with async support. The servlet does not own the engine: whoever built it closes it.
 */
public final class ApiModelsServlet extends HttpServlet {

    /** Name of the {@code ServletContext} attribute holding the engine: {@code app.apimodels.core.ApiModels}. */
    public static final String ENGINE_ATTRIBUTE = ApiModels.class.getName();

    private static final long serialVersionUID = 1L;
    private static final System.Logger LOG = System.getLogger(ApiModelsServlet.class.getName());

    private transient ApiModels apiModels;
    private transient volatile BodyReads bodyReads;
    /** The probe for client connections the container does not watch (Tomcat's, Jetty's), or null. */
    private transient ClientConnections connections;
    private transient volatile ClientWatch clientWatch;

    /** For containers that instantiate the servlet; the engine is then read from {@link #ENGINE_ATTRIBUTE}. */
    public ApiModelsServlet() {
    }

    public ApiModelsServlet(ApiModels apiModels) {
        this.apiModels = Objects.requireNonNull(apiModels, "apiModels");
    }

    @Override
    public void init() throws ServletException {
        connections = ClientConnections.find(getServletContext());
        if (apiModels != null) {
            return;
        }
        if (!(getServletContext().getAttribute(ENGINE_ATTRIBUTE) instanceof ApiModels engine)) {
            throw new UnavailableException("No ApiModels engine in the ServletContext attribute " + ENGINE_ATTRIBUTE);
        }
        apiModels = engine;
    }

    @Override
    protected void service(HttpServletRequest request, HttpServletResponse response) {
        if (!request.isAsyncSupported()) {
            // startAsync would throw, and the container's error page could show the stack trace.
            LOG.log(System.Logger.Level.ERROR,
                    "ApiModelsServlet must be registered with async support (ApiModelsMount does this)");
            response.setStatus(HttpServletResponse.SC_INTERNAL_SERVER_ERROR);
            return;
        }
        String path = pathOf(request);
        // No body byte is read here: the engine routes and authenticates on the headers, then asks
        // the exchange to receive the body without blocking (ServletExchange.readBody).
        boolean streamed = apiModels.streamsBody(request.getMethod(), path, request.getContentType());
        BodyReads reads = bodyReads();
        ServletExchange exchange = ServletExchange.start(request, response, path, reads, clientWatch, streamed);
        try {
            apiModels.handle(exchange);
        } catch (RuntimeException e) {
            // Answer ourselves: with async started, the container's error handling may show a stack trace.
            LOG.log(System.Logger.Level.ERROR, "The engine failed on " + exchange.method() + " " + exchange.path(), e);
            exchange.abort();
        }
    }

    /**
     * Made on first use, on a request thread, so its timer thread belongs to the application; the
     * client watch, which runs on that timer, is made with it (and set before it is published).
     */
    private BodyReads bodyReads() {
        BodyReads reads = bodyReads;
        if (reads == null) {
            synchronized (this) {
                if (bodyReads == null) {
                    BodyReads made = new BodyReads(apiModels.bodyLimits());
                    clientWatch = connections == null ? ClientWatch.NONE : new ClientWatch(connections, made.timer());
                    bodyReads = made;
                }
                reads = bodyReads;
            }
        }
        return reads;
    }

    /** Stops the servlet's timer (body deadlines, client watch); the engine is its owner's to close. */
    @Override
    public void destroy() {
        synchronized (this) {
            if (bodyReads != null) {
                clientWatch.close();
                bodyReads.close();
                bodyReads = null;
            }
        }
    }

    /**
     * The request path below the context and the servlet's mapping, as sent (not decoded). For a
     * mapping {@code /api/*} in context {@code /app}, {@code /app/api/v1/models} gives {@code /v1/models}.
     */
    static String pathOf(HttpServletRequest request) {
        String uri = request.getRequestURI();
        String prefix = request.getContextPath() + mountPath(request.getHttpServletMapping());
        String path = uri.startsWith(prefix) ? uri.substring(prefix.length()) : request.getPathInfo();
        return path == null || path.isEmpty() ? "/" : path;
    }

    /** {@code /api} for the pattern {@code /api/*}, empty for {@code /*} and any other kind of mapping. */
    private static String mountPath(HttpServletMapping mapping) {
        if (mapping == null || mapping.getMappingMatch() != MappingMatch.PATH) {
            return "";
        }
        String pattern = mapping.getPattern();
        return pattern.substring(0, pattern.length() - "/*".length());
    }
}
