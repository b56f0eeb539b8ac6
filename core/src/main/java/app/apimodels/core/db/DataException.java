package app.apimodels.core.db;

import java.sql.SQLException;

/** A database failure; the engine answers 503 and logs it (never shown to clients). */
public class DataException extends RuntimeException {
    public DataException(SQLException cause) {
        super(cause.getMessage(), cause);
    }
}
