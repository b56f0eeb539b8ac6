package app.apimodels.core.mail;

import java.util.Set;

/** The mail templates, in English and Chinese. */
public final class Templates {

    /** Every template a {@link Letter} may name. */
    public static final Set<String> NAMES = Set.of("verify-email", "reset-password", "login-locked", "receipt",
            "low-balance", "policy-change", "account-deletion", "announcement");

    private Templates() {
    }
}
