package app.apimodels.core.accounts;

public enum Role {
    USER, ADMIN;

    public String dbValue() {
        return name().toLowerCase();
    }

    public static Role fromDb(String v) {
        return valueOf(v.toUpperCase());
    }
}
