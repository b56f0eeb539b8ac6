package app.apimodels.spi.trace;

import app.apimodels.spi.provider.Operation;
import app.apimodels.spi.provider.Usage;

/**
 * Follows each relayed API call and its upstream attempts, e.g. as trace spans
 * ({@code integrations/opentelemetry}). Found with ServiceLoader; with none installed the engine
 * traces nothing and pays nothing. Called on the engine's hot path: keep every method cheap and
 * never throw.
 */
public interface CallTracer {

    /** The tracer that does nothing (no plug-in installed). */
    CallTracer NONE = new CallTracer() {
        @Override
        public String name() {
            return "none";
        }

        @Override
        public Call start(Operation operation, String model, boolean stream) {
            return Call.NONE;
        }
    };

    /** Its name in {@code GET /admin/plugins}. */
    String name();

    /**
     * A call was accepted (its model resolved, its limits passed) and is about to hold credits.
     * Called on the thread that received the request, so a tracer can take the host's current
     * context (a server span made by an agent) as the parent.
     *
     * @param model the catalog's model id (never a name the client made up)
     */
    Call start(Operation operation, String model, boolean stream);

    /**
     * One run of a generation task's job, away from any request: the upstream polled for the
     * task's state (each poll an {@link Call#attempt}), and what follows when it ended. It ends
     * with 200 when the task completed (with what was charged), 202 when the task runs on, or the
     * status its client is answered when it failed. The default traces nothing.
     *
     * @param model  the catalog's model id
     * @param taskId the task's id, also given to the call that submitted it ({@link Call#task})
     */
    default Call taskRun(Operation operation, String model, String taskId) {
        return Call.NONE;
    }

    /** One API call; ended exactly once. */
    interface Call {

        Call NONE = new Call() {
            @Override
            public Attempt attempt(String system, String provider, String upstreamModel) {
                return Attempt.NONE;
            }

            @Override
            public void end(int status, Usage usage, String errorType) {
            }
        };

        /**
         * The call is sent to a route; attempts follow one another, never overlapping.
         *
         * @param system        the provider's type ({@code openai}, {@code anthropic}, …)
         * @param provider      the catalog's provider id
         * @param upstreamModel the model name the provider is asked for
         */
        Attempt attempt(String system, String provider, String upstreamModel);

        /**
         * The call submits the generation task {@code taskId} (its attempts hand the task to a
         * provider; the task's later runs are traced with {@link CallTracer#taskRun}).
         */
        default void task(String taskId) {
        }

        /**
         * The call ended with the status the client got (499: the client left).
         *
         * @param usage     what was charged (zero when nothing was)
         * @param errorType a short, bounded code of what went wrong ({@code upstream_timeout}, …), or null
         */
        void end(int status, Usage usage, String errorType);
    }

    /** One upstream attempt; ended exactly once. */
    interface Attempt {

        Attempt NONE = (usage, errorType) -> {
        };

        /**
         * @param usage     what the upstream reported or was counted, or null when it failed
         * @param errorType the failure's kind ({@code network}, {@code timeout}, {@code rate_limited}…,
         *                  {@code cancelled}), or null
         */
        void end(Usage usage, String errorType);
    }
}
