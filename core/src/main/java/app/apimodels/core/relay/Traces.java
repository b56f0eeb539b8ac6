package app.apimodels.core.relay;

import app.apimodels.core.failure.Failure;
import app.apimodels.core.web.FailureMapping;
import app.apimodels.spi.provider.Usage;
import app.apimodels.spi.trace.CallTracer;

/** How a traced call that ended without an answer is reported, the same for relayed calls and tasks. */
public final class Traces {

    private Traces() {
    }

    /** Ends {@code trace} with the status its client is answered for {@code failure}, charging nothing. */
    public static void failed(CallTracer.Call trace, Failure failure) {
        int status = FailureMapping.status(failure.reason());
        trace.end(status, Usage.NONE, Integer.toString(status));
    }
}
