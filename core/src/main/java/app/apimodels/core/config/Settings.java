package app.apimodels.core.config;

import java.util.Map;
import java.util.Optional;

/**
 * The engine's configuration, read through the typed keys of {@link Keys}; a bad value stops
 * start-up with a {@link ConfigException} naming the key. Plug-in families whose names the engine
 * cannot know ({@code apimodels.storage.*} and the like) are handed over as maps.
 */
public final class Settings {

    private final ConfigSource source;

    public Settings(ConfigSource source) {
        this.source = source;
    }

    /** The setting's value, or its default. */
    public <T> T get(Setting<T> setting) {
        if (!setting.hasDefault()) {
            throw new IllegalStateException(setting.key() + " has no default: read it with find");
        }
        return find(setting).orElseGet(setting::fallback);
    }

    /** The setting's value when one is set (blank counts as not set). */
    public <T> Optional<T> find(Setting<T> setting) {
        return source.get(setting.key()).map(String::trim).filter(s -> !s.isEmpty()).map(setting::parse);
    }

    /**
     * Reads every key of {@link Keys} that is set, so a bad value stops start-up before anything is
     * opened, whichever part reads it and however late.
     */
    public Settings checked() {
        Keys.all().forEach(this::find);
        return this;
    }

    /** Every setting whose name starts with {@code prefix}, keyed by the rest (see {@link ConfigSource#startingWith}). */
    public Map<String, String> startingWith(String prefix) {
        return source.startingWith(prefix);
    }
}
