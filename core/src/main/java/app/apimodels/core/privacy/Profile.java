package app.apimodels.core.privacy;

/**
 * What the holder of an account may see and correct about themselves, beyond the ledger.
 *
 * @param name                      null if none was given
 * @param lowBalanceThresholdMicros a warning mail is sent below this balance; null: no warning
 * @param restrictedAt              when processing was restricted, or null
 * @param deletedAt                 when the account was erased, or null
 */
public record Profile(long accountId, String email, String name, boolean marketingConsent, Long lowBalanceThresholdMicros,
                      Long restrictedAt, Long deletedAt) {
}
