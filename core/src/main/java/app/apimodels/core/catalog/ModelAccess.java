package app.apimodels.core.catalog;

import app.apimodels.core.failure.Failure;
import app.apimodels.core.keys.ApiKey;
import app.apimodels.core.ledger.InsufficientCreditsException;
import app.apimodels.spi.provider.Operation;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletionException;
import java.util.function.Supplier;

/**
 * May this key use this model here, and can its wallet cover the worst case: the checks every
 * paid call (relayed or a task) makes before it reaches a provider, said the same way for both.
 */
public final class ModelAccess {

    private final Supplier<Catalog> catalog;

    public ModelAccess(Supplier<Catalog> catalog) {
        this.catalog = catalog;
    }

    /** The catalog's model of that id, whoever asks. */
    public Optional<Catalog.Model> model(String modelName) {
        return catalog.get().model(modelName);
    }

    /**
     * The model named, if it exists, is of one of {@code kinds} and the key may use it.
     *
     * @param usedWith what the caller is, as a client reads it ("/v1/embeddings", "images generations")
     */
    public Catalog.Model resolve(ApiKey key, String modelName, Set<ModelKind> kinds, String usedWith) {
        Catalog.Model model = catalog.get().model(modelName).orElseThrow(() -> new Failure(Failure.Reason.MODEL_NOT_FOUND,
                "The model '" + modelName + "' does not exist", "model"));
        if (!kinds.contains(model.spec().kind())) {
            throw Failure.invalid("model", "'" + modelName + "' is a " + model.spec().kind().wireName()
                    + " model and cannot be used with " + usedWith);
        }
        if (!key.allows(modelName)) {
            throw new Failure(Failure.Reason.MODEL_NOT_ALLOWED, "this API key may not use the model '" + modelName + "'", "model");
        }
        return model;
    }

    /**
     * The routes of {@code order} whose provider offers {@code operation}, in that order: a passed-through
     * API reaches only upstreams that speak it. Refused (400 naming {@code model}) if there is none.
     *
     * @param api the API as a client knows it ("the Responses API")
     */
    public static List<Catalog.Target> serving(Catalog.Model model, List<Catalog.Target> order, Operation operation, String api) {
        List<Catalog.Target> serving = order.stream().filter(t -> t.client().operations().contains(operation)).toList();
        if (serving.isEmpty() && !model.unavailable().isEmpty()) {
            throw unavailableHere(model);
        }
        if (serving.isEmpty()) {
            throw Failure.invalid("model", "model '" + model.id() + "' is not served through " + api + "; use /v1/chat/completions");
        }
        return serving;
    }

    /**
     * The answer (503 naming {@code model}) to a call none of whose model's routes this node can take
     * because their providers cannot be called here ({@link Catalog.Unavailable}): another node may
     * have them. Names the providers, never why (that is for operators: the log, {@code GET /admin/catalog}).
     */
    public static Failure unavailableHere(Catalog.Model model) {
        List<String> ids = model.unavailable().stream().map(u -> "'" + u.provider() + "'").distinct().toList();
        return new Failure(Failure.Reason.UNAVAILABLE, "model '" + model.id() + "' cannot be served by this node: "
                + (ids.size() == 1 ? "its provider " + ids.get(0) + " is" : "its providers " + String.join(", ", ids) + " are")
                + " not available here", "model", null);
    }

    /**
     * Why the ledger would not hold {@code amount} micro-credits for a {@code what} ("request",
     * "task"): the wallet or the key's limit is short (402), or the ledger cannot be reached.
     */
    public static Failure holdRefused(Throwable error, long amount, String what) {
        Throwable cause = error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
        if (cause instanceof InsufficientCreditsException ice) {
            return new Failure(Failure.Reason.INSUFFICIENT_CREDITS, ice.getMessage()
                    + (ice.keyLimit() || ice.owed() > 0 ? "" : "; this " + what + " may cost up to " + amount + " micro-credits"));
        }
        return new Failure(Failure.Reason.UNAVAILABLE, "the ledger is unavailable; retry shortly", null, Duration.ofSeconds(1));
    }
}
