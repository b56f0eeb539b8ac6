package app.apimodels.core.config;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

/**
 * Typed access to the engine's configuration. Every key is documented in the README; a bad
 * value stops start-up with a {@link ConfigException} naming the key.
 */
public final class Settings {

    private final ConfigSource source;

    public Settings(ConfigSource source) {
        this.source = source;
    }

    public Optional<String> string(String key) {
        return source.get(key).map(String::trim).filter(s -> !s.isEmpty());
    }

    public String string(String key, String fallback) {
        return string(key).orElse(fallback);
    }

    public long number(String key, long fallback, long min, long max) {
        Optional<String> raw = string(key);
        if (raw.isEmpty()) {
            return fallback;
        }
        try {
            long v = Long.parseLong(raw.get());
            if (v < min || v > max) {
                throw new ConfigException(key + " must be between " + min + " and " + max + ", got " + v);
            }
            return v;
        } catch (NumberFormatException e) {
            throw new ConfigException(key + " must be a whole number, got '" + raw.get() + "'");
        }
    }

    public Duration seconds(String key, long fallbackSeconds) {
        return Duration.ofSeconds(number(key, fallbackSeconds, 0, 365L * 24 * 3600));
    }

    public Duration millis(String key, long fallbackMillis) {
        return Duration.ofMillis(number(key, fallbackMillis, 0, 3_600_000));
    }

    /** Every setting whose name starts with {@code prefix}, keyed by the rest (see {@link ConfigSource#startingWith}). */
    public java.util.Map<String, String> startingWith(String prefix) {
        return source.startingWith(prefix);
    }

    public Path dataDir() {
        return Path.of(string("apimodels.data-dir", "./apimodels-data"));
    }
}
