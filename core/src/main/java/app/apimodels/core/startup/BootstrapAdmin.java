package app.apimodels.core.startup;

import app.apimodels.core.accounts.Account;
import app.apimodels.core.accounts.Accounts;
import app.apimodels.core.accounts.Role;
import app.apimodels.core.config.ConfigException;
import app.apimodels.core.config.Keys;
import app.apimodels.core.config.Settings;
import app.apimodels.core.db.Sql;
import app.apimodels.core.failure.Failure;
import app.apimodels.core.keys.ApiKeys;
import app.apimodels.core.keys.KeyOptions;

import java.util.Base64;

/**
 * Makes the configured bootstrap key ({@code apimodels.bootstrap.admin-key}) an admin key, or
 * prints a one-time admin key and console password on an empty database, so a new deployment can
 * be administered. {@code apimodels.bootstrap.admin-password} gives the first admin a console
 * password of the operator's choosing.
 */
public final class BootstrapAdmin {

    private static final String EMAIL = "admin@apimodels.local";

    private BootstrapAdmin() {
    }

    public static void run(Settings settings, Sql sql, Accounts accounts, ApiKeys keys) {
        key(settings, sql, accounts, keys);
        settings.find(Keys.BOOTSTRAP_ADMIN_PASSWORD).ifPresent(password -> {
            Account admin = accounts.firstAdmin().orElseGet(() -> accounts.create(EMAIL, null, Role.ADMIN));
            try {
                accounts.ensurePassword(admin.id(), password, Keys.BOOTSTRAP_ADMIN_PASSWORD.key());
            } catch (Failure e) {
                throw new ConfigException(Keys.BOOTSTRAP_ADMIN_PASSWORD.key() + ": " + e.getMessage());
            }
        });
    }

    private static void key(Settings settings, Sql sql, Accounts accounts, ApiKeys keys) {
        var configured = settings.find(Keys.BOOTSTRAP_ADMIN_KEY);
        if (configured.isPresent()) {
            String secret = configured.get();
            if (secret.length() < 16) {
                throw new ConfigException(Keys.BOOTSTRAP_ADMIN_KEY.key() + " must be at least 16 characters");
            }
            var existing = keys.findByHash(secret);
            if (existing.isPresent()) {
                if (existing.get().role() != Role.ADMIN) {
                    accounts.setRole(existing.get().accountId(), Role.ADMIN);
                    keys.invalidateAll();
                }
                return;
            }
            Account admin = accounts.firstAdmin().orElseGet(() -> accounts.create(EMAIL, null, Role.ADMIN));
            sql.tx(c -> keys.register(c, admin.id(), "bootstrap", secret));
            return;
        }
        if (accounts.isEmpty()) {
            // With a configured password the operator knows it already; otherwise one is made and shown once.
            String password = settings.find(Keys.BOOTSTRAP_ADMIN_PASSWORD).isPresent() ? null
                    : Base64.getUrlEncoder().withoutPadding().encodeToString(ApiKeys.randomBytes(15));
            Account admin = accounts.create(EMAIL, password, Role.ADMIN);
            String secret = keys.create(admin.id(), KeyOptions.named("first admin key")).secret();
            // Printed once, to the console only: neither is stored anywhere in clear.
            System.out.println("apimodels: created the first admin account. One-time admin API key (store it now, it is not shown again):");
            System.out.println("  " + secret);
            if (password != null) {
                System.out.println("  console login: " + EMAIL + " / " + password + "  (change it with apimodels.bootstrap.admin-password)");
            }
        }
    }
}
