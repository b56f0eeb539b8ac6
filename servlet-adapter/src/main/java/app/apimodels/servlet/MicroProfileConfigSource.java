package app.apimodels.servlet;

import app.apimodels.core.config.ConfigSource;
import org.eclipse.microprofile.config.Config;
import org.eclipse.microprofile.config.ConfigProvider;

import java.util.HashSet;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * apimodels settings read through MicroProfile Config, so its sources and ordinals apply: system
 * properties, then environment variables ({@code apimodels.db.url} ↔ {@code APIMODELS_DB_URL}), then
 * {@code META-INF/microprofile-config.properties}, then whatever the server adds.
 *
 * <pre>{@code
 * ApiModels engine = ApiModels.builder()
 *         .config(MicroProfileConfigSource.of(Thread.currentThread().getContextClassLoader()))
 *         .build();
 * }</pre>
 */
public final class MicroProfileConfigSource implements ConfigSource {

    private final Config config;

    public MicroProfileConfigSource(Config config) {
        this.config = Objects.requireNonNull(config, "config");
    }

    /**
     * The configuration of the application that owns {@code classLoader}.
     *
     * @throws IllegalStateException if no MicroProfile Config implementation is available
     */
    public static MicroProfileConfigSource of(ClassLoader classLoader) {
        return new MicroProfileConfigSource(ConfigProvider.getConfig(classLoader));
    }

    @Override
    public Optional<String> get(String key) {
        return config.getOptionalValue(key, String.class);
    }

    /**
     * Properties named with the prefix, and environment variables named like it
     * ({@code APIMODELS_STORAGE_PATH_STYLE} for {@code apimodels.storage.path-style}); each value is
     * then read through {@link #get}, so MicroProfile's ordinals decide between the two.
     */
    @Override
    public Map<String, String> startingWith(String prefix) {
        String envPrefix = prefix.replaceAll("[^A-Za-z0-9]", "_").toUpperCase(Locale.ROOT);
        Set<String> names = new HashSet<>();
        config.getPropertyNames().forEach(names::add);
        // Some implementations (SmallRye) also list an environment variable under a dotted name
        // (apimodels.storage.path.style); the variable itself is read below, under the dashed one.
        Set<String> echoes = names.stream().filter(name -> name.startsWith(envPrefix))
                .map(name -> name.toLowerCase(Locale.ROOT).replace('_', '.')).collect(Collectors.toSet());
        Map<String, String> out = new TreeMap<>();
        for (String name : names) {
            String rest;
            if (name.startsWith(prefix) && !echoes.contains(name)) {
                rest = name.substring(prefix.length());
            } else if (name.startsWith(envPrefix)) {
                rest = name.substring(envPrefix.length()).toLowerCase(Locale.ROOT).replace('_', '-');
            } else {
                continue;
            }
            if (!rest.isEmpty()) {
                get(prefix + rest).ifPresent(value -> out.put(rest, value));
            }
        }
        return out;
    }
}
