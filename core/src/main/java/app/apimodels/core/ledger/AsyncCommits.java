package app.apimodels.core.ledger;

/**
 * Which ledger batches may commit on PostgreSQL without waiting for the WAL flush
 * ({@code apimodels.ledger.async-commits}); H2 ignores it. A batch that commits asynchronously
 * is lost as a whole if the database crashes within ~200 ms; every invariant still holds.
 */
public enum AsyncCommits {
    /** Every commit waits for the flush. */
    NEVER(false, false),
    /** Batches that only settle and log: a lost one leaves its holds pending for the sweeper (revenue lost, nobody overcharged). */
    SETTLEMENTS(false, true),
    /** Holds too: a lost hold had let its call go out, which is then never charged. */
    ALWAYS(true, true);

    private final boolean holds;
    private final boolean settlements;

    AsyncCommits(boolean holds, boolean settlements) {
        this.holds = holds;
        this.settlements = settlements;
    }

    /** Whether the writer of holds (and lease growths) may commit without the flush. */
    boolean holds() {
        return holds;
    }

    /** Whether the writer of settlements and call-log rows may commit without the flush. */
    boolean settlements() {
        return settlements;
    }
}
