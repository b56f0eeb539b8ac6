package app.apimodels.core.limits;

/** Whose calls a limit counts. */
public enum Scope {
    /** One API key. */
    KEY("key", "API key"),
    /** Every key (and session) of one account. */
    ACCOUNT("account", "account"),
    /** One client address, whoever calls from it. */
    IP("ip", "address");

    private final String dbValue;
    private final String noun;

    Scope(String dbValue, String noun) {
        this.dbValue = dbValue;
        this.noun = noun;
    }

    /** What a client's message calls it: "… of this API key". */
    public String noun() {
        return noun;
    }

    public String dbValue() {
        return dbValue;
    }
}
