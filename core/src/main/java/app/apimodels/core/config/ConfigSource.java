package app.apimodels.core.config;

import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * Where configuration values come from. The servlet adapter supplies one backed by MicroProfile
 * Config; embedded use can rely on {@link #environment()}.
 */
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

    /**
     * Every property whose name starts with {@code prefix} (e.g. {@code apimodels.storage.}), keyed
     * by the rest of the name. Used for plug-in settings whose names the engine cannot know.
     * Sources that cannot list their keys return none.
     */
    default Map<String, String> startingWith(String prefix) {
        return Map.of();
    }

    static ConfigSource environment(Map<String, String> env) {
        return new ConfigSource() {
            @Override
            public Optional<String> get(String key) {
                String v = System.getProperty(key);
                if (v == null) {
                    v = env.get(key);
                }
                if (v == null) {
                    v = env.get(key.replaceAll("[^A-Za-z0-9]", "_").toUpperCase(Locale.ROOT));
                }
                return Optional.ofNullable(v).filter(s -> !s.isBlank());
            }

            /** Environment names map back with {@code _} read as {@code -}: {@code APIMODELS_STORAGE_PATH_STYLE} → {@code path-style}. */
            @Override
            public Map<String, String> startingWith(String prefix) {
                Map<String, String> out = new TreeMap<>();
                String envPrefix = prefix.replaceAll("[^A-Za-z0-9]", "_").toUpperCase(Locale.ROOT);
                env.forEach((k, v) -> {
                    if (k.startsWith(envPrefix) && k.length() > envPrefix.length()) {
                        out.put(k.substring(envPrefix.length()).toLowerCase(Locale.ROOT).replace('_', '-'), v);
                    }
                });
                env.forEach((k, v) -> {
                    if (k.startsWith(prefix) && k.length() > prefix.length()) {
                        out.put(k.substring(prefix.length()), v);
                    }
                });
                System.getProperties().forEach((k, v) -> {
                    if (k instanceof String name && name.startsWith(prefix) && name.length() > prefix.length()) {
                        out.put(name.substring(prefix.length()), String.valueOf(v));
                    }
                });
                return out;
            }
        };
    }

    static ConfigSource of(Map<String, String> values) {
        Map<String, String> copy = Map.copyOf(values);
        return new ConfigSource() {
            @Override
            public Optional<String> get(String key) {
                return Optional.ofNullable(copy.get(key));
            }

            @Override
            public Map<String, String> startingWith(String prefix) {
                Map<String, String> out = new TreeMap<>();
                copy.forEach((k, v) -> {
                    if (k.startsWith(prefix) && k.length() > prefix.length()) {
                        out.put(k.substring(prefix.length()), v);
                    }
                });
                return out;
            }
        };
    }

    /** This source, falling back to {@code other} for keys it lacks. */
    default ConfigSource orElse(ConfigSource other) {
        ConfigSource first = this;
        return new ConfigSource() {
            @Override
            public Optional<String> get(String key) {
                return first.get(key).or(() -> other.get(key));
            }

            @Override
            public Map<String, String> startingWith(String prefix) {
                Map<String, String> out = new TreeMap<>(other.startingWith(prefix));
                out.putAll(first.startingWith(prefix));
                return out;
            }
        };
    }
}
