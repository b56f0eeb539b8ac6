package app.apimodels.spi.storage;

/**
 * A storage operation failed. {@link #retryable()} says whether trying again later may work (an
 * outage, a throttle) or not (bad credentials, a missing bucket). Messages never contain secrets.
 */
public class StorageException extends RuntimeException {
    private final boolean retryable;

    public StorageException(String message, boolean retryable, Throwable cause) {
        super(message, cause);
        this.retryable = retryable;
    }

    public boolean retryable() {
        return retryable;
    }
}
