package app.apimodels.core.auth;

import app.apimodels.core.accounts.Role;
import app.apimodels.core.keys.ApiKey;

/** Who is calling: an authenticated API key and the account it belongs to. */
public record Caller(ApiKey key) {

    public long accountId() {
        return key.accountId();
    }

    public boolean isAdmin() {
        return key.role() == Role.ADMIN;
    }
}
