package app.apimodels.core.startup;

import app.apimodels.core.config.ConfigException;
import app.apimodels.core.config.Keys;
import app.apimodels.core.config.Settings;
import app.apimodels.core.keys.ApiKeys;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.util.HexFormat;

/**
 * The key pepper: {@code apimodels.keys.pepper}, or a random one kept in the data directory (fine
 * for one node; every node of a cluster must share the configured value). Other secrets are
 * derived from it, one per purpose.
 */
public final class Pepper {

    private static final System.Logger LOG = System.getLogger(Pepper.class.getName());

    private Pepper() {
    }

    public static byte[] load(Settings settings) {
        var configured = settings.find(Keys.KEYS_PEPPER);
        if (configured.isPresent()) {
            if (configured.get().length() < 32) {
                throw new ConfigException(Keys.KEYS_PEPPER.key() + " must be at least 32 characters");
            }
            return configured.get().getBytes(StandardCharsets.UTF_8);
        }
        Path file = settings.get(Keys.DATA_DIR).resolve("key-pepper");
        try {
            if (Files.exists(file)) {
                return HexFormat.of().parseHex(Files.readString(file).trim());
            }
            Files.createDirectories(file.toAbsolutePath().getParent());
            byte[] pepper = ApiKeys.randomBytes(32);
            Files.writeString(file, HexFormat.of().formatHex(pepper), StandardOpenOption.CREATE_NEW);
            try {
                Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
            } catch (UnsupportedOperationException ignored) {
                // not a POSIX file system
            }
            LOG.log(System.Logger.Level.WARNING, Keys.KEYS_PEPPER.key() + " is not set; generated one in " + file
                    + " (set the same " + Keys.KEYS_PEPPER.key() + " on every node of a cluster)");
            return pepper;
        } catch (IOException | IllegalArgumentException e) {
            throw new ConfigException(Keys.KEYS_PEPPER.key() + ": cannot read or create " + file + ": " + e.getMessage(), e);
        }
    }

    /** A key of its own for {@code purpose}, derived from {@code secret} (HMAC-SHA256). */
    public static byte[] derive(byte[] secret, String purpose) {
        try {
            javax.crypto.Mac mac = javax.crypto.Mac.getInstance("HmacSHA256");
            mac.init(new javax.crypto.spec.SecretKeySpec(secret, "HmacSHA256"));
            return mac.doFinal(purpose.getBytes(StandardCharsets.UTF_8));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }
}
