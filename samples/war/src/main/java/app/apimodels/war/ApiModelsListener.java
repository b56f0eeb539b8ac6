package app.apimodels.war;

import app.apimodels.core.ApiModels;
import app.apimodels.core.config.ConfigException;
import app.apimodels.core.config.ConfigSource;
import app.apimodels.servlet.ApiModelsMount;
import jakarta.servlet.ServletContext;
import jakarta.servlet.ServletContextEvent;
import jakarta.servlet.ServletContextListener;

import java.sql.Driver;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.Collections;

/**
 * Starts apimodels with the web application and stops it with it: builds the engine from system
 * properties and environment variables ({@code apimodels.db.url} or {@code APIMODELS_DB_URL}, …),
 * mounts it at {@code apimodels.base-path} (default: the web application's root) and closes it,
 * gracefully, when the server undeploys the application.
 *
 * <p>This is the whole of the WAR's code. Once the servlet adapter mounts the engine by itself
 * (from MicroProfile Config, when its jar is in {@code WEB-INF/lib}), this class and its
 * {@code web.xml} entry go.
 */
public final class ApiModelsListener implements ServletContextListener {

    static final String BASE_PATH = "apimodels.base-path";

    private ApiModels engine;

    @Override
    public void contextInitialized(ServletContextEvent event) {
        ServletContext context = event.getServletContext();
        ConfigSource config = ConfigSource.environment();
        String basePath = config.get(BASE_PATH).orElse("");
        // Plug-ins (providers, transports, storage, Flyway's database support) are found with
        // ServiceLoader in WEB-INF/lib, which only the web application's loader sees.
        ApiModels started = ApiModels.builder().config(config).classLoader(context.getClassLoader()).build();
        try {
            ApiModelsMount.register(context, started, basePath);
        } catch (IllegalArgumentException e) {
            started.close();
            throw new ConfigException(BASE_PATH + ": " + e.getMessage(), e);
        } catch (RuntimeException e) {
            started.close();
            throw e;
        }
        engine = started;
        context.log("apimodels serves " + context.getContextPath() + basePath + "/");
    }

    @Override
    public void contextDestroyed(ServletContextEvent event) {
        if (engine != null) {
            engine.close();
            engine = null;
        }
        deregisterOwnJdbcDrivers(event.getServletContext());
    }

    /**
     * JDBC drivers register themselves with the JVM-wide DriverManager when loaded; one loaded from
     * this WAR's {@code WEB-INF/lib} would keep the whole undeployed application in memory.
     */
    private static void deregisterOwnJdbcDrivers(ServletContext context) {
        ClassLoader own = context.getClassLoader();
        for (Driver driver : Collections.list(DriverManager.getDrivers())) {
            if (driver.getClass().getClassLoader() == own) {
                try {
                    DriverManager.deregisterDriver(driver);
                } catch (SQLException e) {
                    context.log("Could not deregister JDBC driver " + driver.getClass().getName(), e);
                }
            }
        }
    }
}
