package app.apimodels.core.auth;

import app.apimodels.core.accounts.Role;
import app.apimodels.core.keys.ApiKey;
import app.apimodels.core.sessions.Session;

/**
 * Who is calling: an API key, or a browser session acting for its account (then {@code key} is
 * the account's session view, {@link ApiKey#forSession}, and {@code session} is set).
 *
 * @param session null for a call made with an API key
 */
public record Caller(ApiKey key, Session session) {

    public long accountId() {
        return key.accountId();
    }

    public boolean isAdmin() {
        return key.role() == Role.ADMIN;
    }
}
