package app.apimodels.core.media;

/**
 * A file that cannot be stored: too large ({@code too_large}), not an accepted media type
 * ({@code unsupported_media_type}), or the storage failed ({@code storage_unavailable}, retryable).
 */
public final class MediaException extends RuntimeException {
    private final String reason;

    public MediaException(String reason, String message, Throwable cause) {
        super(message, cause);
        this.reason = reason;
    }

    public String reason() {
        return reason;
    }
}
