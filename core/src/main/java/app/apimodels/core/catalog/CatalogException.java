package app.apimodels.core.catalog;

import app.apimodels.core.config.ConfigException;

/** An invalid catalog entry; the message names the source, line (if known) and field. */
public class CatalogException extends ConfigException {
    public CatalogException(String message) {
        super(message);
    }
}
