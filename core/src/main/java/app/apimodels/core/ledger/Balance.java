package app.apimodels.core.ledger;

/** A user's money: spendable and reserved for calls in flight, in micros. */
public record Balance(long available, long held) {
}
