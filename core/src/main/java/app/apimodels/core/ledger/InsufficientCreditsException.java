package app.apimodels.core.ledger;

/** The wallet (or the key's spend limit) cannot cover the worst case of a call. */
public final class InsufficientCreditsException extends RuntimeException {

    private final boolean keyLimit;
    private final long owed;

    public InsufficientCreditsException(boolean keyLimit) {
        this(keyLimit ? "this API key's spend limit is reached" : "insufficient credits for this request", keyLimit, 0);
    }

    private InsufficientCreditsException(String message, boolean keyLimit, long owed) {
        super(message, null, false, false);
        this.keyLimit = keyLimit;
        this.owed = owed;
    }

    /** The account owes {@code owed} micros from a refunded or disputed payment and may not spend until it is paid. */
    public static InsufficientCreditsException owing(long owed) {
        return new InsufficientCreditsException("this account owes " + owed + " micro-credits from a refunded or disputed "
                + "payment and is restricted until a top-up covers it", false, owed);
    }

    /** What the account owes when that is why (else 0). */
    public long owed() {
        return owed;
    }

    public boolean keyLimit() {
        return keyLimit;
    }
}
