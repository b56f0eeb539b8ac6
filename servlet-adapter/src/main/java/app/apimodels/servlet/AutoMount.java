package app.apimodels.servlet;

import app.apimodels.core.ApiModels;
import app.apimodels.core.config.ConfigSource;
import app.apimodels.core.config.Keys;
import app.apimodels.core.config.Settings;
import jakarta.servlet.ServletContext;
import jakarta.servlet.ServletContextEvent;
import jakarta.servlet.ServletContextListener;

import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import java.util.function.Supplier;

/**
 * Builds the auto-mounted engine when the web application starts and closes it when it stops. It
 * runs after every initializer, so a CDI container started by one (Weld Servlet) is up by then.
 */
final class AutoMount implements ServletContextListener {

    private static final System.Logger LOG = System.getLogger(AutoMount.class.getName());

    private final ConfigSource config;
    // Guarded by this: the container's shutdown (CDI) and the context's may both close.
    private ApiModels owned;
    /** The engine this listener put in the context attribute; kept after close to take it out again. */
    private ApiModels mounted;
    private ContainerBeans beans = ContainerBeans.NONE;
    private ClassLoader application;
    private LingeringThreads threads;

    AutoMount(ConfigSource config) {
        this.config = config;
    }

    @Override
    public synchronized void contextInitialized(ServletContextEvent event) {
        ServletContext ctx = event.getServletContext();
        if (ctx.getAttribute(ApiModelsServlet.ENGINE_ATTRIBUTE) != null) {
            LOG.log(System.Logger.Level.INFO, "apimodels: the application registered its own engine; serving it");
            return;
        }
        beans = ContainerBeans.of(ctx);
        var applicationEngine = beans.applicationEngine();
        if (applicationEngine.isPresent()) {
            LOG.log(System.Logger.Level.INFO, "apimodels: serving the application's ApiModels bean");
            ctx.setAttribute(ApiModelsServlet.ENGINE_ATTRIBUTE, applicationEngine.get());
            return;
        }
        application = ctx.getClassLoader();
        threads = LingeringThreads.from(application);
        try {
            // The server's data directory unless one is configured: never the server's working directory.
            ConfigSource configured = config.orElse(ConfigSource.of(Map.of(DataDirectory.KEY,
                    DataDirectory.serverDefault(ctx.getContextPath()).toString())));
            Settings settings = new Settings(configured);
            DeploymentDatabase.Choice database = DeploymentDatabase.choose(settings);
            LOG.log(System.Logger.Level.INFO, "apimodels: database: {0}; data directory {1}", database.description(),
                    settings.get(Keys.DATA_DIR).toAbsolutePath().normalize());
            ApiModels.Builder builder = ApiModels.builder().config(configured).classLoader(ctx.getClassLoader());
            if (database.dataSource() != null) {
                builder.dataSource(database.dataSource());
            }
            beans.contribute(builder);
            owned = onOwnThread("apimodels-start", builder::build);
        } catch (RuntimeException e) {
            close();
            throw e;
        }
        ctx.setAttribute(ApiModelsServlet.ENGINE_ATTRIBUTE, owned);
        mounted = owned;
        beans.built(owned, this::close);
    }

    @Override
    public void contextDestroyed(ServletContextEvent event) {
        ServletContext ctx = event.getServletContext();
        synchronized (this) {
            if (mounted != null && ctx.getAttribute(ApiModelsServlet.ENGINE_ATTRIBUTE) == mounted) {
                ctx.removeAttribute(ApiModelsServlet.ENGINE_ATTRIBUTE);
            }
            mounted = null;
        }
        close();
    }

    /**
     * Runs {@code work} on a thread of its own and waits for it. Libraries leave thread-locals on the
     * thread that starts and stops them (Flyway's and the job runner's JSON buffers, for two): on a
     * server thread, which outlives the application, they would keep its class loader alive.
     */
    private static <T> T onOwnThread(String name, Supplier<T> work) {
        FutureTask<T> task = new FutureTask<>(work::get);
        Thread thread = new Thread(task, name);
        thread.start();
        try {
            T result = task.get();
            thread.join();
            return result;
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException runtime) {
                throw runtime;
            }
            if (e.getCause() instanceof Error error) {
                throw error;
            }
            throw new IllegalStateException(e.getCause());
        } catch (InterruptedException e) {
            thread.interrupt();
            Thread.currentThread().interrupt();
            throw new IllegalStateException(name + " was interrupted", e);
        }
    }

    private synchronized void close() {
        try {
            if (owned != null) {
                ApiModels engine = owned;
                onOwnThread("apimodels-stop", () -> {
                    engine.close();
                    return null;
                });
            }
        } finally {
            owned = null;
            beans.release();
            if (threads != null) {
                threads.await();
                threads = null;
                RecordMethodCaches.release();
            }
            if (application != null) {
                JdbcDrivers.deregister(application);
                application = null;
            }
        }
    }
}
