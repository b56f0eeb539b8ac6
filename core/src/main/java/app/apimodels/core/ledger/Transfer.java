package app.apimodels.core.ledger;

/** One ledger movement as shown to users and admins. */
public record Transfer(String id, long debitId, long creditId, long amount, String kind, String holdId, String reason,
                       long createdAt) {
}
