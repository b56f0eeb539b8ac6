package app.apimodels.core.plugins;

import app.apimodels.spi.provider.Operation;
import app.apimodels.spi.provider.Usage;
import app.apimodels.spi.trace.CallTracer;

import java.util.List;

/** Several tracers installed at once: each sees every call. */
record Tracers(List<CallTracer> all) implements CallTracer {

    @Override
    public String name() {
        return "all";
    }

    @Override
    public Call start(Operation operation, String model, boolean stream) {
        return new Calls(all.stream().map(t -> t.start(operation, model, stream)).toList());
    }

    @Override
    public Call taskRun(Operation operation, String model, String taskId) {
        return new Calls(all.stream().map(t -> t.taskRun(operation, model, taskId)).toList());
    }

    /** One call as each tracer sees it. */
    private record Calls(List<Call> calls) implements Call {

        @Override
        public Attempt attempt(String system, String provider, String upstreamModel) {
            List<Attempt> attempts = calls.stream().map(c -> c.attempt(system, provider, upstreamModel)).toList();
            return (usage, errorType) -> attempts.forEach(a -> a.end(usage, errorType));
        }

        @Override
        public void task(String taskId) {
            calls.forEach(c -> c.task(taskId));
        }

        @Override
        public void end(int status, Usage usage, String errorType) {
            calls.forEach(c -> c.end(status, usage, errorType));
        }
    }
}
