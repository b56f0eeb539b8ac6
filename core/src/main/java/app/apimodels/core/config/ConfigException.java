package app.apimodels.core.config;

/** Bad configuration: the message names the key (or file, line and field) at fault. */
public class ConfigException extends RuntimeException {
    public ConfigException(String message) {
        super(message);
    }

    public ConfigException(String message, Throwable cause) {
        super(message, cause);
    }
}
