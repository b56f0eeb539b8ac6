package app.apimodels.spi.provider;

import java.util.List;

/**
 * What the upstream says about a task: on submit, on each poll, or in a webhook.
 *
 * @param upstreamId the upstream's id for the task (what {@link ProviderClient#poll} takes);
 *                   a synchronous upstream may return its own request id or null together with
 *                   a terminal state
 * @param state      where it stands
 * @param outputs    the generated files; non-empty exactly when {@code state} is SUCCEEDED
 * @param usage      what was produced, in price units (images, seconds, characters), or null to
 *                   let the engine count the outputs / use the requested quantity
 * @param error      for FAILED: a message safe to show the client (never an upstream secret)
 */
public record TaskUpdate(String upstreamId, TaskState state, List<TaskOutput> outputs, Usage usage, String error) {
    public TaskUpdate {
        outputs = outputs == null ? List.of() : List.copyOf(outputs);
        if (state == TaskState.SUCCEEDED && outputs.isEmpty()) {
            throw new IllegalArgumentException("a succeeded task has outputs");
        }
    }

    public static TaskUpdate pending(String upstreamId, TaskState state) {
        return new TaskUpdate(upstreamId, state, List.of(), null, null);
    }

    public static TaskUpdate succeeded(String upstreamId, List<TaskOutput> outputs, Usage usage) {
        return new TaskUpdate(upstreamId, TaskState.SUCCEEDED, outputs, usage, null);
    }

    public static TaskUpdate failed(String upstreamId, String error) {
        return new TaskUpdate(upstreamId, TaskState.FAILED, List.of(), null, error);
    }
}
