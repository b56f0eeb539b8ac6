package app.apimodels.spi.storage;

/** The key names no object. */
public class NoSuchObjectException extends StorageException {
    public NoSuchObjectException(String key) {
        super("no object " + key, false, null);
    }
}
