package app.apimodels.core.config;

import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * Where configuration values come from. The servlet adapter supplies one backed by MicroProfile
 * Config; embedded use can rely on {@link #environment()}.
 */
@FunctionalInterface
public interface ConfigSource {

    /** The value of a property named like {@code apimodels.db.url}, if set. */
    Optional<String> get(String key);

    /**
     * System properties first, then environment variables by the MicroProfile mapping
     * ({@code apimodels.db.url} ↔ {@code APIMODELS_DB_URL}).
     */
    static ConfigSource environment() {
        return environment(System.getenv());
    }

    static ConfigSource environment(Map<String, String> env) {
        return key -> {
            String v = System.getProperty(key);
            if (v == null) {
                v = env.get(key);
            }
            if (v == null) {
                v = env.get(key.replaceAll("[^A-Za-z0-9]", "_").toUpperCase(Locale.ROOT));
            }
            return Optional.ofNullable(v).filter(s -> !s.isBlank());
        };
    }

    static ConfigSource of(Map<String, String> values) {
        Map<String, String> copy = Map.copyOf(values);
        return key -> Optional.ofNullable(copy.get(key));
    }

    /** This source, falling back to {@code other} for keys it lacks. */
    default ConfigSource orElse(ConfigSource other) {
        return key -> get(key).or(() -> other.get(key));
    }
}
