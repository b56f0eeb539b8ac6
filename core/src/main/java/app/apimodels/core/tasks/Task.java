package app.apimodels.core.tasks;

import app.apimodels.core.catalog.ModelKind;
import app.apimodels.spi.provider.Usage;

import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A generation task as stored ({@link TaskStore} converts the columns).
 *
 * @param input       the model parameters as sent to the provider (media inputs as our links)
 * @param outputs     the provider's outputs while they are copied
 * @param usage       what the provider reported, or null
 * @param resultIds   our copies of the outputs, once completed (or completing)
 * @param failStatus  the status a failed (or failing) task's call is logged with
 */
record Task(String id, long accountId, Long keyId, ModelKind kind, String model, String provider, String upstreamModel,
            String upstreamId, State state, Map<String, Object> input, String callbackUrl, String baseUrl, String holdId,
            long holdAmount, Long costMicros, List<Output> outputs, Usage usage, List<String> resultIds, String failMsg,
            Integer failStatus, int polls, Long wokenAt, long createdAt, long updatedAt, long deadlineAt, Long completedAt,
            CallbackState callbackState, int callbackTries) {

    /**
     * Where a task is: handed to a provider, generating, its outputs being copied, its outcome
     * decided and its hold ending (failing, completing: shown as pending), or ended.
     */
    enum State {
        SUBMITTING, RUNNING, REHOSTING, FAILING, COMPLETING, COMPLETED, FAILED;

        boolean terminal() {
            return this == COMPLETED || this == FAILED;
        }

        /** The outcome is decided; the hold is ending, and the task ends once it has. */
        boolean ending() {
            return this == FAILING || this == COMPLETING;
        }

        /** The stored (and apimodels.app) spelling. */
        String dbValue() {
            return name().toLowerCase(Locale.ROOT);
        }

        static State of(String dbValue) {
            return valueOf(dbValue.toUpperCase(Locale.ROOT));
        }
    }

    /** The client's {@code callback_url}: waiting for the task to end, to be sent, sent, or given up on. */
    enum CallbackState {
        WAITING, PENDING, DELIVERED, GAVE_UP;

        String dbValue() {
            return name().toLowerCase(Locale.ROOT);
        }

        static CallbackState of(String dbValue) {
            return dbValue == null ? null : valueOf(dbValue.toUpperCase(Locale.ROOT));
        }
    }

    /** One output as tracked while it is copied: the upstream's link, its deadline, and our copy once made. */
    record Output(String url, String contentType, long deadline, String mediaId) {
        Output withMedia(String id) {
            return new Output(url, contentType, deadline, id);
        }
    }

    boolean terminal() {
        return state.terminal();
    }

    /** pending, completed or failed, as apimodels.app's API says. */
    String publicState() {
        return terminal() ? state.dbValue() : "pending";
    }
}
