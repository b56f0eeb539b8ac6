package app.apimodels.spi.http;

/** A failure below HTTP: the request may or may not have reached the server. */
public class TransportException extends RuntimeException {
    public enum Kind { CONNECT, TIMEOUT, RESET, OTHER }

    private final Kind kind;

    public TransportException(Kind kind, String message, Throwable cause) {
        super(message, cause);
        this.kind = kind;
    }

    public Kind kind() {
        return kind;
    }
}
