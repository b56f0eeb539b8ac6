package app.apimodels.core.limits;

/** Whose calls a limit counts. */
public enum Scope {
    /** One API key. */
    KEY("key"),
    /** Every key (and session) of one account. */
    ACCOUNT("account"),
    /** One client address, whoever calls from it. */
    IP("ip");

    private final String dbValue;

    Scope(String dbValue) {
        this.dbValue = dbValue;
    }

    public String dbValue() {
        return dbValue;
    }
}
