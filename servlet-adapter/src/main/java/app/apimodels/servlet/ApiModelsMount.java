package app.apimodels.servlet;

import app.apimodels.core.ApiModels;
import jakarta.servlet.ServletContext;
import jakarta.servlet.ServletRegistration;

import java.util.Objects;
import java.util.Set;

/** Mounts an engine in a servlet context in one call. */
public final class ApiModelsMount {

    private ApiModelsMount() {
    }

    /**
     * Registers an {@link ApiModelsServlet} serving {@code engine} at {@code basePath + "/*"}, with
     * async support. Call it while the context initialises (a {@code ServletContainerInitializer} or
     * {@code ServletContextListener#contextInitialized}); the container refuses new servlets later.
     *
     * @param basePath where the API lives in the context: {@code ""} for the context root, otherwise
     *                 a path such as {@code /api} (leading slash, no trailing slash)
     * @return the registration, for any further container settings
     * @throws IllegalStateException if the servlet name or the mapping is already taken
     */
    public static ServletRegistration.Dynamic register(ServletContext ctx, ApiModels engine, String basePath) {
        return register(ctx, new ApiModelsServlet(Objects.requireNonNull(engine, "engine")), basePath);
    }

    static ServletRegistration.Dynamic register(ServletContext ctx, ApiModelsServlet servlet, String basePath) {
        if (!basePath.isEmpty() && (!basePath.startsWith("/") || basePath.endsWith("/"))) {
            throw new IllegalArgumentException("basePath must be empty or like /api, not " + basePath);
        }
        // The name carries the base path so one context can mount several engines.
        String name = "apimodels" + basePath;
        ServletRegistration.Dynamic registration = ctx.addServlet(name, servlet);
        if (registration == null) {
            throw new IllegalStateException("A servlet named " + name + " is already registered (with the jar in "
                    + "WEB-INF/lib, the auto-mount registers one: set apimodels.auto-mount=false to mount it yourself)");
        }
        registration.setAsyncSupported(true);
        Set<String> taken = registration.addMapping(basePath + "/*");
        if (!taken.isEmpty()) {
            throw new IllegalStateException("Already mapped to another servlet: " + taken);
        }
        return registration;
    }
}
