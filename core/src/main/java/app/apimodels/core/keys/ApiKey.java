package app.apimodels.core.keys;

import app.apimodels.core.accounts.Role;

import java.util.Set;

/**
 * A stored API key (never the secret itself).
 *
 * @param allowedModels empty means every model
 * @param spendLimit    micros this key may spend in total, or null for no limit
 */
public record ApiKey(long id, long accountId, Role role, String name, String prefix, String last4, Long expiresAt,
                     Set<String> allowedModels, Long spendLimit, long spent, Long revokedAt, Long lastUsedAt,
                     long createdAt, long walletId, long holdId) {

    public boolean allows(String model) {
        return allowedModels.isEmpty() || allowedModels.contains(model);
    }
}
