package app.apimodels.core.ids;

import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.UUID;

/**
 * The engine's random ids (a call's request id, a hold's, a task's, a file's...) without a JVM-wide lock:
 * {@link UUID#randomUUID()} draws from one shared SecureRandom, and thread dumps with ten thousand
 * streams opening showed a hundred threads queued on it. Each thread here has a generator of its
 * own (a DRBG, seeded from the system's entropy once), so the ids stay unpredictable and unique.
 */
public final class Ids {

    private static final ThreadLocal<SecureRandom> RANDOM = ThreadLocal.withInitial(Ids::generator);

    private Ids() {
    }

    /** A random (version 4) UUID, as {@link UUID#randomUUID()} makes. */
    public static UUID randomUuid() {
        byte[] b = new byte[16];
        RANDOM.get().nextBytes(b);
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

    /** {@code prefix} and a random UUID's 32 hex digits, without dashes (e.g. {@code req_…}). */
    public static String prefixed(String prefix) {
        UUID u = randomUuid();
        return prefix + hex(u.getMostSignificantBits()) + hex(u.getLeastSignificantBits());
    }

    private static String hex(long bits) {
        String h = Long.toHexString(bits);
        return h.length() == 16 ? h : "0".repeat(16 - h.length()) + h;
    }

    private static SecureRandom generator() {
        try {
            return SecureRandom.getInstance("DRBG");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("this JVM has no DRBG SecureRandom", e);
        }
    }
}
