package app.apimodels.core.accounts;

import app.apimodels.core.failure.Failure;
import com.password4j.Argon2Function;
import com.password4j.Password;
import com.password4j.types.Argon2;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.Locale;
import java.util.Set;

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

    private final Argon2Function function;
    /** Checked when an address is unknown, so that answer takes as long as a wrong password. */
    private final String dummyHash;

    public Passwords(int memoryKib, int iterations, int parallelism) {
        this.function = Argon2Function.getInstance(memoryKib, iterations, parallelism, HASH_BYTES, Argon2.ID);
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
        return Password.hash(password).addRandomSalt(SALT_BYTES).with(function).getResult();
    }

    /** Checks {@code password} against {@code storedHash}; a null hash (no password set) never matches, in the same time. */
    public Check check(String password, String storedHash) {
        if (storedHash == null || !storedHash.startsWith("$argon2")) {
            Password.check(password, dummyHash).with(function);
            return new Check(false, false);
        }
        Argon2Function used;
        try {
            used = Argon2Function.getInstanceFromHash(storedHash);
        } catch (RuntimeException e) {
            Password.check(password, dummyHash).with(function);
            return new Check(false, false);
        }
        boolean matches = Password.check(password, storedHash).with(used);
        return new Check(matches, matches && !sameParameters(used));
    }

    /** Spends the time of a check when there is nothing to check against (an unknown address). */
    public void waste(String password) {
        Password.check(password == null ? "" : password, dummyHash).with(function);
    }

    private boolean sameParameters(Argon2Function used) {
        return used.getMemory() == function.getMemory() && used.getIterations() == function.getIterations()
                && used.getParallelism() == function.getParallelism() && used.getVariant() == function.getVariant()
                && used.getOutputLength() == function.getOutputLength();
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
