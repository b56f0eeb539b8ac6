package app.apimodels.core.ledger;

/** What the ledger tells whoever measures it (the engine's metrics); called on the writers' threads, so cheap. */
public interface LedgerEvents {

    LedgerEvents NONE = new LedgerEvents() {
        @Override
        public void ledgerBatch(String writer, int ops, long commitNanos) {
        }

        @Override
        public void leaseGrown(long micros) {
        }
    };

    /** Writer {@code writer} ("holds" or "settlements") committed {@code ops} operations in one transaction. */
    void ledgerBatch(String writer, int ops, long commitNanos);

    /** A budget lease took {@code micros} more from its wallet. */
    void leaseGrown(long micros);
}
