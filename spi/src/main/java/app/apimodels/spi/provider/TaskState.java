package app.apimodels.spi.provider;

/** Where an upstream generation task stands. */
public enum TaskState {
    /** Accepted, not started. */
    QUEUED,
    /** Being worked on. */
    RUNNING,
    /** Finished with outputs. */
    SUCCEEDED,
    /** Finished without outputs; {@link TaskUpdate#error()} says why. */
    FAILED,
    /** Cancelled (by us or at the upstream). */
    CANCELED;

    public boolean terminal() {
        return this == SUCCEEDED || this == FAILED || this == CANCELED;
    }
}
