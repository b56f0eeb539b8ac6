package app.apimodels.core.web;

/** Serves one matched request. It answers on the exchange, now or later; a thrown {@link ApiException} or {@link app.apimodels.core.failure.Failure} is rendered. */
@FunctionalInterface
public interface Handler {
    void handle(Request request) throws Exception;
}
