package app.apimodels.core.keys;

/** A key just created: the only time its secret is known. */
public record NewKey(ApiKey key, String secret) {
}
