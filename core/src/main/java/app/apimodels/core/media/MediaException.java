package app.apimodels.core.media;

import app.apimodels.core.failure.Failure;

import java.time.Duration;

/** A file that cannot be stored: why, and a message safe to show. */
public final class MediaException extends RuntimeException {

    public enum Reason {
        /** The bytes could not be read from the source. */
        UNREADABLE,
        /** A download the file was to come from failed. */
        DOWNLOAD_FAILED,
        TOO_LARGE,
        /** Not an image (SVG excluded), video or audio file. */
        UNSUPPORTED_MEDIA_TYPE,
        /** The storage failed; trying again later may work. */
        STORAGE_UNAVAILABLE
    }

    private final Reason reason;

    public MediaException(Reason reason, String message, Throwable cause) {
        super(message, cause);
        this.reason = reason;
    }

    public Reason reason() {
        return reason;
    }

    /** This failure for a client whose request field {@code field} gave the file. */
    public Failure at(String field) {
        return switch (reason) {
            case TOO_LARGE -> new Failure(Failure.Reason.TOO_LARGE, getMessage(), field);
            case UNSUPPORTED_MEDIA_TYPE -> new Failure(Failure.Reason.UNSUPPORTED_MEDIA_TYPE, getMessage(), field);
            case STORAGE_UNAVAILABLE -> new Failure(Failure.Reason.STORAGE_UNAVAILABLE, getMessage(), null, Duration.ofSeconds(5));
            case UNREADABLE, DOWNLOAD_FAILED -> Failure.invalid(field, field + ": " + getMessage());
        };
    }
}
