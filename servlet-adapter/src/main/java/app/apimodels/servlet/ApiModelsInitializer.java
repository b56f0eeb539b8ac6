package app.apimodels.servlet;

import app.apimodels.core.config.Keys;
import app.apimodels.core.config.ConfigSource;
import app.apimodels.core.config.Settings;
import jakarta.servlet.ServletContainerInitializer;
import jakarta.servlet.ServletContext;

import java.util.Set;

/**
 * Mounts apimodels in every web application that has this jar in {@code WEB-INF/lib}: the container
 * finds this initializer through {@code META-INF/services}. It registers the servlet at
 * {@code apimodels.base-path} (default: the context root) and a listener that builds the engine
 * when the application starts and closes it when the application stops.
 *
 * <p>It does nothing when {@code apimodels.auto-mount} is {@code false} (MicroProfile Config,
 * system property, environment variable {@code APIMODELS_AUTO_MOUNT}, or a context parameter), or
 * when the application has already put its own engine in {@link ApiModelsServlet#ENGINE_ATTRIBUTE}.
 */
public final class ApiModelsInitializer implements ServletContainerInitializer {

    private static final System.Logger LOG = System.getLogger(ApiModelsInitializer.class.getName());

    @Override
    public void onStartup(Set<Class<?>> classes, ServletContext ctx) {
        ConfigSource config = DeploymentConfig.of(ctx);
        Settings settings = new Settings(config);
        if (!settings.get(Keys.AUTO_MOUNT)) {
            LOG.log(System.Logger.Level.INFO, "apimodels: " + Keys.AUTO_MOUNT.key() + "=false, not mounted in {0}", name(ctx));
            return;
        }
        if (ctx.getAttribute(ApiModelsServlet.ENGINE_ATTRIBUTE) != null) {
            LOG.log(System.Logger.Level.INFO, "apimodels: {0} registered its own engine, not auto-mounting", name(ctx));
            return;
        }
        String basePath = basePath(settings.get(Keys.BASE_PATH));
        // The engine does not exist yet: it is built by the listener, once every initializer has run
        // (CDI, for one, may start after us), and the servlet reads it from the context attribute.
        ApiModelsMount.register(ctx, new ApiModelsServlet(), basePath).setLoadOnStartup(1);
        ctx.addListener(new AutoMount(config));
        LOG.log(System.Logger.Level.INFO, "apimodels: mounted at {0}{1}/", ctx.getContextPath(), basePath);
    }

    /** {@code ""} and {@code /} mean the context root; {@code api}, {@code /api/} mean {@code /api}. */
    static String basePath(String configured) {
        String path = configured.strip();
        while (path.endsWith("/")) {
            path = path.substring(0, path.length() - 1);
        }
        return path.isEmpty() || path.startsWith("/") ? path : "/" + path;
    }

    private static String name(ServletContext ctx) {
        return ctx.getContextPath().isEmpty() ? "the root web application" : ctx.getContextPath();
    }
}
