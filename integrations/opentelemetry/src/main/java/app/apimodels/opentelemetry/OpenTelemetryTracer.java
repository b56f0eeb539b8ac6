package app.apimodels.opentelemetry;

import app.apimodels.spi.provider.Operation;
import app.apimodels.spi.provider.Usage;
import app.apimodels.spi.trace.CallTracer;
import io.opentelemetry.api.GlobalOpenTelemetry;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Context;

import java.util.Locale;
import java.util.function.Supplier;

/**
 * Spans for relayed API calls and generation tasks, with the OpenTelemetry GenAI semantic
 * conventions: one span per
 * call ({@code chat test-model}), a child {@code CLIENT} span per upstream attempt; a call refused
 * before it held credits (402, 403, 429, 503) is a call span with the error and no child, and any
 * call that did not end in an answer has the error status. A generation task's submission is such
 * a call (its attempts hand the task to a provider), and each later run of the task (an upstream
 * poll as its {@code CLIENT} child) a root span of its own; both carry {@code apimodels.task.id}.
 * The call span's
 * parent is the context current on the request's thread, so under the Java agent it hangs below
 * the server's HTTP span. Found by the engine with ServiceLoader; without an SDK or agent the
 * OpenTelemetry API is a no-op and so is this.
 */
public final class OpenTelemetryTracer implements CallTracer {

    static final String SCOPE = "app.apimodels";
    static final AttributeKey<String> OPERATION = AttributeKey.stringKey("gen_ai.operation.name");
    static final AttributeKey<String> SYSTEM = AttributeKey.stringKey("gen_ai.system");
    /** The newer name of {@code gen_ai.system} in the conventions; both are set. */
    static final AttributeKey<String> PROVIDER_NAME = AttributeKey.stringKey("gen_ai.provider.name");
    static final AttributeKey<String> REQUEST_MODEL = AttributeKey.stringKey("gen_ai.request.model");
    static final AttributeKey<String> RESPONSE_MODEL = AttributeKey.stringKey("gen_ai.response.model");
    static final AttributeKey<Long> INPUT_TOKENS = AttributeKey.longKey("gen_ai.usage.input_tokens");
    static final AttributeKey<Long> OUTPUT_TOKENS = AttributeKey.longKey("gen_ai.usage.output_tokens");
    static final AttributeKey<String> ERROR_TYPE = AttributeKey.stringKey("error.type");
    static final AttributeKey<Long> STATUS = AttributeKey.longKey("http.response.status_code");
    static final AttributeKey<Boolean> STREAM = AttributeKey.booleanKey("apimodels.stream");
    static final AttributeKey<String> ROUTE = AttributeKey.stringKey("apimodels.route");
    static final AttributeKey<String> TASK_ID = AttributeKey.stringKey("apimodels.task.id");

    private final Supplier<OpenTelemetry> source;
    private volatile Tracer tracer;

    /**
     * ServiceLoader's: the global OpenTelemetry (the agent's, or what the host registered), looked
     * up at the first call rather than at engine start, since asking too early would fix it to
     * the no-op for the whole JVM.
     */
    public OpenTelemetryTracer() {
        this(GlobalOpenTelemetry::get);
    }

    /** With the host's own OpenTelemetry instance. */
    public OpenTelemetryTracer(OpenTelemetry openTelemetry) {
        this(() -> openTelemetry);
    }

    private OpenTelemetryTracer(Supplier<OpenTelemetry> source) {
        this.source = source;
    }

    @Override
    public String name() {
        return "opentelemetry";
    }

    private Tracer tracer() {
        Tracer t = tracer;
        if (t == null) {
            t = source.get().getTracer(SCOPE);
            tracer = t;
        }
        return t;
    }

    /** The conventions' operation names (OpenAI's Responses API is a chat); others by their own name. */
    static String operationName(Operation operation) {
        return switch (operation) {
            case CHAT, RESPONSES -> "chat";
            case EMBEDDINGS -> "embeddings";
            default -> operation.name().toLowerCase(Locale.ROOT);
        };
    }

    @Override
    public Call start(Operation operation, String model, boolean stream) {
        String op = operationName(operation);
        Context parent = Context.current();
        Span span = tracer().spanBuilder(op + " " + model)
                .setParent(parent)
                // Below the host's server span an inner one; alone, it is the server side of the call.
                .setSpanKind(Span.fromContext(parent).getSpanContext().isValid() ? SpanKind.INTERNAL : SpanKind.SERVER)
                .setAttribute(OPERATION, op)
                .setAttribute(REQUEST_MODEL, model)
                .setAttribute(STREAM, stream)
                .startSpan();
        return new TracedCall(op, model, span);
    }

    /** A root span of its own (a job's run has no request to hang below), linked to its submission by the task id. */
    @Override
    public Call taskRun(Operation operation, String model, String taskId) {
        String op = operationName(operation);
        Span span = tracer().spanBuilder(op + " " + model)
                .setNoParent()
                .setSpanKind(SpanKind.INTERNAL)
                .setAttribute(OPERATION, op)
                .setAttribute(REQUEST_MODEL, model)
                .setAttribute(TASK_ID, taskId)
                .startSpan();
        return new TracedCall(op, model, span);
    }

    private final class TracedCall implements Call {
        private final String operation;
        private final String model;
        private final Span span;
        private final Context context;
        private String system;

        TracedCall(String operation, String model, Span span) {
            this.operation = operation;
            this.model = model;
            this.span = span;
            this.context = Context.root().with(span);
        }

        @Override
        public Attempt attempt(String system, String provider, String upstreamModel) {
            this.system = system;
            Span attempt = tracer().spanBuilder(operation + " " + upstreamModel)
                    .setParent(context)
                    .setSpanKind(SpanKind.CLIENT)
                    .setAttribute(OPERATION, operation)
                    .setAttribute(SYSTEM, system)
                    .setAttribute(PROVIDER_NAME, system)
                    .setAttribute(REQUEST_MODEL, upstreamModel)
                    .setAttribute(ROUTE, provider)
                    .startSpan();
            return (usage, errorType) -> {
                if (errorType == null) {
                    attempt.setAttribute(RESPONSE_MODEL, upstreamModel);
                    tokens(attempt, usage);
                } else {
                    attempt.setAttribute(ERROR_TYPE, errorType);
                    attempt.setStatus(StatusCode.ERROR);
                }
                attempt.end();
            };
        }

        @Override
        public void task(String taskId) {
            span.setAttribute(TASK_ID, taskId);
        }

        @Override
        public void end(int status, Usage usage, String errorType) {
            span.setAttribute(STATUS, (long) status);
            if (system != null) {
                span.setAttribute(SYSTEM, system);
                span.setAttribute(PROVIDER_NAME, system);
            }
            if (errorType == null) {
                span.setAttribute(RESPONSE_MODEL, model);
            } else {
                // The generation did not happen (refused, failed, abandoned): an error for the GenAI conventions.
                span.setAttribute(ERROR_TYPE, errorType);
                span.setStatus(StatusCode.ERROR);
            }
            tokens(span, usage);
            span.end();
        }
    }

    private static void tokens(Span span, Usage usage) {
        if (usage != null && (usage.inputTokens() > 0 || usage.outputTokens() > 0)) {
            span.setAttribute(INPUT_TOKENS, usage.inputTokens());
            span.setAttribute(OUTPUT_TOKENS, usage.outputTokens());
        }
    }
}
