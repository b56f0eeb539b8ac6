package app.apimodels.core.ledger;

/** The wallet (or the key's spend limit) cannot cover the worst case of a call. */
public final class InsufficientCreditsException extends RuntimeException {

    private final boolean keyLimit;

    public InsufficientCreditsException(boolean keyLimit) {
        super(keyLimit ? "this API key's spend limit is reached" : "insufficient credits for this request",
                null, false, false);
        this.keyLimit = keyLimit;
    }

    public boolean keyLimit() {
        return keyLimit;
    }
}
