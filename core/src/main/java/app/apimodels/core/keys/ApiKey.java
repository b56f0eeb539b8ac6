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

    /**
     * The account itself acting through a browser session, in the shape services take a caller's
     * key in: no key row (id 0; stored keys start at 1), every model, no spend limit.
     */
    public static ApiKey forSession(long accountId, Role role, long walletId, long holdId, long createdAt) {
        return new ApiKey(0, accountId, role, "browser session", "", "", null, Set.of(), null, 0, null, null, createdAt,
                walletId, holdId);
    }

    /** The id recorded with holds, tasks and calls: null when a browser session acts without a key. */
    public Long recordedId() {
        return id == 0 ? null : id;
    }

    public boolean allows(String model) {
        return allowedModels.isEmpty() || allowedModels.contains(model);
    }
}
