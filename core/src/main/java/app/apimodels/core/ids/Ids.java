package app.apimodels.core.ids;

import java.nio.ByteBuffer;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.UUID;

/**
 * The engine's random ids (a call's request id, a hold's, a task's, a file's...) without a JVM-wide lock:
 * {@link UUID#randomUUID()} draws from one shared SecureRandom, and thread dumps with ten thousand
 * streams opening showed a hundred threads queued on it. Each thread here has a generator of its
 * own (a DRBG, seeded from the system's entropy once), so the ids stay unpredictable and unique.
 *
 * <p>Ids that become primary keys of rows written thousands of times a second (a call's request id,
 * the call-log row's; a hold's, which names its transfers) are time-ordered ({@link #timeOrderedUuid}):
 * random keys put each insert on a random leaf of the index (no right-edge fast path, splits all
 * over it, and after every checkpoint a full-page image per insert on a table larger than memory),
 * while time-ordered keys append at the index's right edge.
 */
public final class Ids {

    private static final ThreadLocal<SecureRandom> RANDOM = ThreadLocal.withInitial(Ids::generator);
    private static final int BATCH = 256;
    /**
     * Random bytes this thread drew ahead from its DRBG. Each {@code nextBytes} of the DRBG takes
     * its lock, checks its reseed counter and runs its hash over the state again whatever the
     * length asked for, so sixteen bytes at a time cost almost what 256 do: ids were ~6 % of a
     * call's CPU on the request thread. Drawing {@link #BATCH} bytes at once spreads that over
     * sixteen ids; each byte is still used once. A JDK type (not a class of ours), so that a
     * container's thread keeps no class of an undeployed application alive.
     */
    private static final ThreadLocal<ByteBuffer> AHEAD = ThreadLocal.withInitial(() -> ByteBuffer.allocate(BATCH).position(BATCH));

    private Ids() {
    }

    /** A random (version 4) UUID, as {@link UUID#randomUUID()} makes. */
    public static UUID randomUuid() {
        byte[] b = new byte[16];
        fill(b);
        b[6] = (byte) ((b[6] & 0x0f) | 0x40); // version 4
        b[8] = (byte) ((b[8] & 0x3f) | 0x80); // IETF variant
        long msb = 0;
        long lsb = 0;
        for (int i = 0; i < 8; i++) {
            msb = (msb << 8) | (b[i] & 0xff);
            lsb = (lsb << 8) | (b[i + 8] & 0xff);
        }
        return new UUID(msb, lsb);
    }

    /**
     * A time-ordered (version 7, RFC 9562) UUID: the Unix time in milliseconds (48 bits), then 74
     * random bits from this thread's DRBG — as unguessable as a client needs, and still unique when
     * a thousand are made in the same millisecond. Ids of later milliseconds sort after earlier
     * ones, as UUIDs, as their strings and as their hex digits; within a millisecond, in any order.
     * The time it reveals is when the call (or hold) was made, which its owner knows anyway.
     */
    public static UUID timeOrderedUuid() {
        byte[] b = new byte[10];
        fill(b);
        long randA = ((b[0] & 0xffL) << 4) | ((b[1] & 0xf0L) >>> 4); // 12 bits
        long randB = 0;
        for (int i = 2; i < 10; i++) {
            randB = (randB << 8) | (b[i] & 0xff);
        }
        long msb = (System.currentTimeMillis() & 0xffff_ffff_ffffL) << 16 | 0x7000L | randA;
        long lsb = (randB & 0x3fff_ffff_ffff_ffffL) | 0x8000_0000_0000_0000L; // IETF variant, 62 random bits
        return new UUID(msb, lsb);
    }

    /** {@code prefix} and a random UUID's 32 hex digits, without dashes (e.g. {@code task_…}). */
    public static String prefixed(String prefix) {
        return prefixed(prefix, randomUuid());
    }

    /**
     * {@code prefix} and a {@linkplain #timeOrderedUuid time-ordered} UUID's 32 hex digits, without
     * dashes (e.g. {@code req_…}): same form as {@link #prefixed(String)}.
     */
    public static String timeOrdered(String prefix) {
        return prefixed(prefix, timeOrderedUuid());
    }

    private static String prefixed(String prefix, UUID u) {
        return prefix + hex(u.getMostSignificantBits()) + hex(u.getLeastSignificantBits());
    }

    private static String hex(long bits) {
        String h = Long.toHexString(bits);
        return h.length() == 16 ? h : "0".repeat(16 - h.length()) + h;
    }

    /** Fills {@code into} (at most {@link #BATCH} bytes) with fresh random bytes. */
    private static void fill(byte[] into) {
        ByteBuffer ahead = AHEAD.get();
        if (ahead.remaining() < into.length) {
            RANDOM.get().nextBytes(ahead.array());
            ahead.clear();
        }
        ahead.get(into);
    }

    private static SecureRandom generator() {
        try {
            return SecureRandom.getInstance("DRBG");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("this JVM has no DRBG SecureRandom", e);
        }
    }
}
