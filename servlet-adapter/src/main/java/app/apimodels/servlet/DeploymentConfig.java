package app.apimodels.servlet;

import app.apimodels.core.config.ConfigException;
import app.apimodels.core.config.ConfigSource;
import app.apimodels.core.config.Settings;
import jakarta.servlet.ServletContext;

import java.util.Collections;
import java.util.HashMap;
import java.util.Locale;
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

    /** A switch: {@code true} or {@code false} (any case), anything else stops the deployment naming the key. */
    static boolean flag(Settings settings, String key, boolean fallback) {
        String value = settings.string(key, String.valueOf(fallback)).toLowerCase(Locale.ROOT);
        return switch (value) {
            case "true" -> true;
            case "false" -> false;
            default -> throw new ConfigException(key + " must be true or false, got '" + value + "'");
        };
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
