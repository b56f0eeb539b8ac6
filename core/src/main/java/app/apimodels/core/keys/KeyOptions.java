package app.apimodels.core.keys;

import java.util.Set;

/** What a new key may do. */
public record KeyOptions(String name, Long expiresAt, Set<String> allowedModels, Long spendLimit) {
    public KeyOptions {
        allowedModels = allowedModels == null ? Set.of() : Set.copyOf(allowedModels);
    }

    public static KeyOptions named(String name) {
        return new KeyOptions(name, null, Set.of(), null);
    }
}
