package app.apimodels.core.redemption;

import app.apimodels.core.startup.Pepper;

import java.security.SecureRandom;
import java.util.HexFormat;

/**
 * The text of a code: 20 symbols of Crockford's base32 (no I, L, O or U, so nothing reads as
 * another symbol), 100 random bits, shown in groups of four ({@code 7KQ2-M9XD-…}). What is
 * stored is only the HMAC of its normalised form under a key of its own, so a leaked table
 * yields no code that works.
 */
final class Codes {

    static final String ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
    static final int LENGTH = 20;
    private static final int GROUP = 4;
    private static final SecureRandom RANDOM = new SecureRandom();

    private final byte[] key;

    /** @param key the HMAC key of codes, derived from the server pepper */
    Codes(byte[] key) {
        this.key = key.clone();
    }

    /** A new random code, as shown to the admin. */
    static String generate() {
        StringBuilder s = new StringBuilder(LENGTH + LENGTH / GROUP);
        for (int i = 0; i < LENGTH; i++) {
            if (i > 0 && i % GROUP == 0) {
                s.append('-');
            }
            s.append(ALPHABET.charAt(RANDOM.nextInt(ALPHABET.length())));
        }
        return s.toString();
    }

    /**
     * The code as it is hashed: case, spaces and hyphens ignored, and the letters people type for
     * digits read as those digits (O as 0, I and L as 1, as Crockford's base32 does); null if what
     * remains cannot be a code.
     */
    static String normalise(String typed) {
        StringBuilder s = new StringBuilder(LENGTH);
        for (int i = 0; i < typed.length(); i++) {
            char c = Character.toUpperCase(typed.charAt(i));
            if (c == '-' || c == ' ') {
                continue;
            }
            c = switch (c) {
                case 'O' -> '0';
                case 'I', 'L' -> '1';
                default -> c;
            };
            if (ALPHABET.indexOf(c) < 0 || s.length() == LENGTH) {
                return null;
            }
            s.append(c);
        }
        return s.length() == LENGTH ? s.toString() : null;
    }

    /** What is stored for a normalised code: HMAC-SHA256(key, code), in hex. */
    String hash(String normalised) {
        return HexFormat.of().formatHex(Pepper.derive(key, normalised));
    }
}
