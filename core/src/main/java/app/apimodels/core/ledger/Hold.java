package app.apimodels.core.ledger;

/**
 * Credits reserved for one call in flight. A hold of zero (a free model) reserves nothing and
 * has no row. A hold carved from this node's budget lease ({@code leaseId} set) has no row of
 * its own either: the lease is the durable hold, and the call's charge is posted from it.
 *
 * @param keyLimited whether the key has a spend limit the hold also counts against
 * @param leaseId    the budget lease this hold was carved from, or null for a hold with its own row
 */
public record Hold(String id, long accountId, Long keyId, long walletId, long holdAccountId, long amount,
                   boolean keyLimited, String leaseId) {

    public boolean isFree() {
        return amount == 0;
    }

    boolean isCarved() {
        return leaseId != null;
    }
}
