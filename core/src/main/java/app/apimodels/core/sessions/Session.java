package app.apimodels.core.sessions;

import app.apimodels.core.accounts.Role;
import app.apimodels.core.keys.ApiKey;

/**
 * A browser's login, as stored (never its cookie value, only that value's hash).
 *
 * @param id         the row id (what the account's session list shows)
 * @param csrfToken  what the browser must send as {@code X-CSRF-Token} with changes
 * @param expiresAt  the absolute end, whatever the use
 */
public record Session(long id, long accountId, Role role, long walletId, long holdId, String csrfToken, long createdAt,
                      long lastSeenAt, long expiresAt, String ip, String userAgent) {

    /** The account acting through this session, in the shape the services take a caller's key in. */
    public ApiKey asKey() {
        return ApiKey.forSession(accountId, role, walletId, holdId, createdAt);
    }
}
