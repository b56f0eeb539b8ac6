package app.apimodels.core.api;

/** Ranges of client numbers that are stored or computed with, so no arithmetic on them can overflow. */
public final class Limits {

    /** Any amount of micros a client may name (a spend limit): 10^15 µ, a billion credits. */
    public static final long MAX_MICROS = 1_000_000_000_000_000L;
    /** The end of year 9999 in epoch milliseconds. */
    public static final long MAX_EPOCH_MILLIS = 253_402_300_799_999L;

    private Limits() {
    }
}
