package app.apimodels.servlet;

import app.apimodels.core.config.ConfigSource;
import jakarta.servlet.ServletContext;

import java.util.Collections;
import java.util.HashMap;
import java.util.Map;

/**
 * Where an auto-mounted engine reads its settings: MicroProfile Config when the application has it
 * (the server's own, or SmallRye Config in WEB-INF/lib), otherwise system properties and environment
 * variables; the web application's context parameters come last, as defaults.
 */
final class DeploymentConfig {

    private static final System.Logger LOG = System.getLogger(DeploymentConfig.class.getName());

    private DeploymentConfig() {
    }

    static ConfigSource of(ServletContext ctx) {
        return primary(ctx.getClassLoader()).orElse(ConfigSource.of(contextParameters(ctx)));
    }

    private static ConfigSource primary(ClassLoader application) {
        if (Libraries.present("org.eclipse.microprofile.config.ConfigProvider")) {
            try {
                return MicroProfileConfigSource.of(application);
            } catch (IllegalStateException e) {
                // The API is there but no implementation is (ConfigProviderResolver found none).
                LOG.log(System.Logger.Level.WARNING, "apimodels: MicroProfile Config has no implementation here ({0}); "
                        + "reading system properties and environment variables instead", e.getMessage());
            }
        }
        return ConfigSource.environment();
    }

    private static Map<String, String> contextParameters(ServletContext ctx) {
        Map<String, String> parameters = new HashMap<>();
        for (String name : Collections.list(ctx.getInitParameterNames())) {
            if (name.startsWith("apimodels.")) {
                parameters.put(name, ctx.getInitParameter(name));
            }
        }
        return parameters;
    }
}
