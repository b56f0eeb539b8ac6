package app.apimodels.core.accounts;

/** A person with a wallet. {@code walletId} and {@code holdId} are their ledger accounts. */
public record Account(long id, String email, Role role, long createdAt, long walletId, long holdId) {
}
