package app.apimodels.spi.payment;

/**
 * A call to the gateway failed (not a refused refund, which is a {@link RefundResult}).
 * {@link #retryable()} says whether trying again later may work (an outage, a throttle) or not
 * (bad credentials, an unknown order). Messages never contain secrets.
 */
public class PaymentException extends RuntimeException {
    private final boolean retryable;

    public PaymentException(String message, boolean retryable, Throwable cause) {
        super(message, cause);
        this.retryable = retryable;
    }

    public boolean retryable() {
        return retryable;
    }
}
