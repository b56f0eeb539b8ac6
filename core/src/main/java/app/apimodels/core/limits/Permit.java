package app.apimodels.core.limits;

import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One admitted call's place in its meters. {@link #end} must run once the call is over, on every
 * path (answered, failed upstream, cut, client gone, refused later for credit); it gives the
 * running slots back and corrects the tokens reserved at admission to those used. A second
 * {@code end} does nothing, so a path that might end twice is safe.
 */
public final class Permit {

    /** A call no limit counts. */
    public static final Permit NONE = new Permit(new Meter[0], new long[0]);

    private final Meter[] meters;
    private final long[] reserved;
    private final AtomicBoolean ended = new AtomicBoolean();

    Permit(Meter[] meters, long[] reserved) {
        this.meters = meters;
        this.reserved = reserved;
    }

    /** The call is over, having used {@code usedTokens} model tokens (0 when it failed). */
    public void end(long usedTokens) {
        if (meters.length == 0 || !ended.compareAndSet(false, true)) {
            return;
        }
        for (int i = 0; i < meters.length; i++) {
            meters[i].end(reserved[i], usedTokens);
        }
    }
}
