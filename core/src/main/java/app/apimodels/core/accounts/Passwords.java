package app.apimodels.core.accounts;

import app.apimodels.core.failure.Failure;
import org.bouncycastle.crypto.generators.Argon2BytesGenerator;
import org.bouncycastle.crypto.params.Argon2Parameters;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HashSet;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Password rules and hashing: at least 10 characters, not on the bundled list of common
 * passwords, hashed with Argon2id at the configured parameters (OWASP's minimum or stronger). A
 * hash made with other parameters still verifies, and {@link Check#needsRehash()} says to store a
 * new one.
 */
public final class Passwords {

    public static final int MIN_LENGTH = 10;
    /** Hashing is deliberately slow: a longer password is work a caller should not be able to ask for. */
    public static final int MAX_LENGTH = 1024;
    private static final int SALT_BYTES = 16;
    private static final int HASH_BYTES = 32;
    private static final Set<String> COMMON = load("common-passwords.txt");

    /** The outcome of checking a password against a stored hash. */
    public record Check(boolean matches, boolean needsRehash) {
    }

    /**
     * A stored hash in the PHC string format every Argon2 library reads:
     * {@code $argon2id$v=19$m=<KiB>,t=<passes>,p=<lanes>$<salt>$<hash>}, unpadded base64.
     */
    private static final Pattern PHC = Pattern.compile(
            "\\$argon2id\\$v=19\\$m=(\\d{1,7}),t=(\\d{1,3}),p=(\\d{1,2})\\$([A-Za-z0-9+/]{11,88})\\$([A-Za-z0-9+/]{22,88})");
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final Base64.Encoder B64 = Base64.getEncoder().withoutPadding();

    /** Argon2id's cost parameters. */
    private record Cost(int memoryKib, int iterations, int parallelism) {
    }

    private final Cost cost;
    /** Checked when an address is unknown, so that answer takes as long as a wrong password. */
    private final String dummyHash;

    public Passwords(int memoryKib, int iterations, int parallelism) {
        this.cost = new Cost(memoryKib, iterations, parallelism);
        this.dummyHash = hash("not a password of anyone's " + System.nanoTime());
    }

    /** Refuses a password too short, too long, common, or equal to the address; {@code field} names it. */
    public static void checkAcceptable(String password, String email, String field) {
        if (password == null || password.length() < MIN_LENGTH) {
            throw Failure.invalid(field, field + " must have at least " + MIN_LENGTH + " characters");
        }
        if (password.length() > MAX_LENGTH) {
            throw Failure.invalid(field, field + " must have at most " + MAX_LENGTH + " characters");
        }
        String lower = password.toLowerCase(Locale.ROOT);
        if (COMMON.contains(lower) || (email != null && lower.equals(email.toLowerCase(Locale.ROOT)))) {
            throw Failure.invalid(field, field + " is too common or too easy to guess; choose another");
        }
    }

    public String hash(String password) {
        byte[] salt = new byte[SALT_BYTES];
        RANDOM.nextBytes(salt);
        byte[] hash = derive(password, salt, cost, HASH_BYTES);
        return "$argon2id$v=19$m=" + cost.memoryKib() + ",t=" + cost.iterations() + ",p=" + cost.parallelism()
                + "$" + B64.encodeToString(salt) + "$" + B64.encodeToString(hash);
    }

    /** Checks {@code password} against {@code storedHash}; a null hash (no password set) never matches, in the same time. */
    public Check check(String password, String storedHash) {
        Matcher m = storedHash == null ? null : PHC.matcher(storedHash);
        if (m == null || !m.matches()) {
            waste(password);
            return new Check(false, false);
        }
        Cost used = new Cost(Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2)), Integer.parseInt(m.group(3)));
        if (used.memoryKib() < 8 * used.parallelism() || used.iterations() < 1 || used.parallelism() < 1) {
            waste(password);
            return new Check(false, false);
        }
        byte[] expected = Base64.getDecoder().decode(m.group(5));
        byte[] actual = derive(password, Base64.getDecoder().decode(m.group(4)), used, expected.length);
        boolean matches = MessageDigest.isEqual(expected, actual);
        return new Check(matches, matches && !used.equals(cost));
    }

    /** Spends the time of a check when there is nothing to check against (an unknown address). */
    public void waste(String password) {
        check(password == null ? "" : password, dummyHash);
    }

    private static byte[] derive(String password, byte[] salt, Cost cost, int length) {
        Argon2Parameters parameters = new Argon2Parameters.Builder(Argon2Parameters.ARGON2_id)
                .withVersion(Argon2Parameters.ARGON2_VERSION_13).withSalt(salt).withMemoryAsKB(cost.memoryKib())
                .withIterations(cost.iterations()).withParallelism(cost.parallelism()).build();
        Argon2BytesGenerator generator = new Argon2BytesGenerator();
        generator.init(parameters);
        byte[] out = new byte[length];
        generator.generateBytes(password.getBytes(StandardCharsets.UTF_8), out);
        return out;
    }

    private static Set<String> load(String resource) {
        try (InputStream in = Passwords.class.getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalStateException("missing resource " + resource);
            }
            Set<String> words = new HashSet<>();
            new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8)).lines()
                    .map(String::trim).filter(l -> !l.isEmpty() && !l.startsWith("#"))
                    .forEach(l -> words.add(l.toLowerCase(Locale.ROOT)));
            return Set.copyOf(words);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
