package app.apimodels.spi.storage;

import java.util.Map;
import java.util.Optional;

/**
 * The settings of one storage: every {@code apimodels.storage.*} configuration key, with that
 * prefix removed ({@code apimodels.storage.bucket} → {@code bucket}).
 *
 * @param type    the {@link MediaStorageFactory#type()} chosen by {@code apimodels.storage.type}
 * @param options the settings; secrets among them are never logged
 */
public record StorageConfig(String type, Map<String, String> options) {
    public StorageConfig {
        options = Map.copyOf(options);
    }

    public Optional<String> option(String name) {
        return Optional.ofNullable(options.get(name)).filter(v -> !v.isBlank());
    }

    /** A required setting; the exception names the full configuration key. */
    public String require(String name) {
        return option(name).orElseThrow(() -> new IllegalArgumentException(
                "apimodels.storage." + name + " is required for storage type " + type));
    }

    @Override
    public String toString() {
        return "StorageConfig[type=" + type + ", keys=" + options.keySet() + "]";
    }
}
