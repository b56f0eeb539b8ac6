package app.apimodels.core.ledger;

/**
 * Credits reserved for one call in flight. A hold of zero (a free model) reserves nothing and
 * has no row.
 *
 * @param keyLimited whether the key has a spend limit the hold also counts against
 */
public record Hold(String id, long accountId, Long keyId, long walletId, long holdAccountId, long amount,
                   boolean keyLimited) {

    public boolean isFree() {
        return amount == 0;
    }
}
