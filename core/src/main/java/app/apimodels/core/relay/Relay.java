package app.apimodels.core.relay;

import app.apimodels.core.calllog.CallRecord;
import app.apimodels.core.catalog.Catalog;
import app.apimodels.core.catalog.ModelAccess;
import app.apimodels.core.catalog.ModelKind;
import app.apimodels.core.catalog.Price;
import app.apimodels.core.deadlines.Deadlines;
import app.apimodels.core.failure.Failure;
import app.apimodels.core.ids.Ids;
import app.apimodels.core.keys.ApiKey;
import app.apimodels.core.ledger.Hold;
import app.apimodels.core.ledger.Ledger;
import app.apimodels.core.limits.AbuseLimits;
import app.apimodels.core.limits.Permit;
import app.apimodels.core.metrics.CallTiming;
import app.apimodels.core.metrics.Metrics;
import app.apimodels.core.routing.Attempt;
import app.apimodels.core.routing.Plan;
import app.apimodels.core.routing.Routing;
import app.apimodels.core.web.ApiException;
import app.apimodels.core.web.ErrorRenderer;
import app.apimodels.core.web.FailureMapping;
import app.apimodels.spi.web.Exchange;
import app.apimodels.core.web.Json;
import app.apimodels.core.web.Request;
import app.apimodels.core.web.Sse;
import app.apimodels.spi.web.Response;
import app.apimodels.spi.provider.Operation;
import app.apimodels.spi.provider.ProviderException;
import app.apimodels.spi.provider.ProviderRequest;
import app.apimodels.spi.provider.ProviderResult;
import app.apimodels.spi.provider.Usage;
import app.apimodels.spi.trace.CallTracer;

import java.time.Clock;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ScheduledExecutorService;
import java.util.function.Supplier;

/**
 * Forwards OpenAI-compatible calls: checks the request, holds the worst case, tries the model's
 * routes as {@link Routing} plans them (the next one on connect errors, timeouts before the first
 * byte, 429 and 5xx — never once content reached the client), answers, then settles what was used
 * and logs the call off the client's path.
 */
public final class Relay {

    private static final System.Logger LOG = System.getLogger(Relay.class.getName());
    /** The status logged for a call whose client left before its answer (nginx's "client closed request"). */
    static final int CLIENT_CLOSED = 499;

    /**
     * What an endpoint is: its log name, operation and the kind of model it serves; for an API
     * passed through, its name as clients know it (only routes whose provider offers it are tried).
     */
    enum Endpoint {
        CHAT("chat.completions", Operation.CHAT, ModelKind.CHAT, null),
        EMBEDDINGS("embeddings", Operation.EMBEDDINGS, ModelKind.EMBEDDING, null),
        /** OpenAI's Responses API, passed through; its streams end with {@code response.completed}, not {@code [DONE]}. */
        RESPONSES("responses", Operation.RESPONSES, ModelKind.CHAT, "the Responses API"),
        /** Anthropic's Messages API, passed through; its streams end with {@code message_stop}. */
        MESSAGES("messages", Operation.MESSAGES, ModelKind.CHAT, "Anthropic's Messages API (the model has no route to Anthropic)"),
        /** Speech to text (multipart), charged for the audio's measured seconds. */
        TRANSCRIPTIONS("audio.transcriptions", Operation.TRANSCRIPTION, ModelKind.TRANSCRIPTION, null);

        final String logName;
        final Operation operation;
        final ModelKind kind;
        final String passedThrough;

        Endpoint(String logName, Operation operation, ModelKind kind, String passedThrough) {
            this.logName = logName;
            this.operation = operation;
            this.kind = kind;
            this.passedThrough = passedThrough;
        }

        String path() {
            return "/v1/" + logName.replace('.', '/');
        }

        /** Whether its streams end with OpenAI's {@code data: [DONE]} marker. */
        boolean endsWithDone() {
            return this == CHAT;
        }
    }

    private final ModelAccess access;
    private final Metrics metrics;
    private final Ledger ledger;
    private final TokenCounter tokens;
    private final ScheduledExecutorService timer;
    /** Every non-streamed attempt's route timeout, on {@code timer}. */
    private final Deadlines deadlines;
    private final Clock clock;
    private final InFlight inFlight;
    private final AbuseLimits limits;
    private final long defaultMaxTokens;
    private final Duration keepAlive;
    private final Routing routing;
    private final long maxAudioBytes;
    private final CallTracer tracer;

    public Relay(Supplier<Catalog> catalog, Routing routing, Ledger ledger, TokenCounter tokens, ScheduledExecutorService timer, Clock clock,
                 InFlight inFlight, AbuseLimits limits, Metrics metrics, long defaultMaxTokens, Duration keepAlive,
                 long maxAudioBytes, CallTracer tracer) {
        this.routing = routing;
        this.maxAudioBytes = maxAudioBytes;
        this.tracer = tracer;
        this.limits = limits;
        this.metrics = metrics;
        this.access = new ModelAccess(catalog);
        this.ledger = ledger;
        this.tokens = tokens;
        this.timer = timer;
        this.deadlines = new Deadlines(timer);
        this.clock = clock;
        this.inFlight = inFlight;
        this.defaultMaxTokens = defaultMaxTokens;
        this.keepAlive = keepAlive;
    }

    public void chat(Request request) {
        start(request, Endpoint.CHAT);
    }

    public void embeddings(Request request) {
        start(request, Endpoint.EMBEDDINGS);
    }

    /** {@code POST /v1/responses}: OpenAI's Responses API for models on OpenAI-compatible routes. */
    public void responses(Request request) {
        start(request, Endpoint.RESPONSES);
    }

    /** Whether a request's body is read as a stream rather than buffered (a transcription's audio). */
    public static boolean streamsBody(String method, String path, String contentType) {
        return TranscriptionForm.streamsBody(method, path, contentType);
    }

    /**
     * {@code POST /v1/audio/transcriptions}: the audio is measured before anything is held, the
     * hold is its seconds at the model's price, and so is the charge (what the upstream reports
     * is not used). The temporary copy of the audio lives until the call ends.
     */
    public void transcriptions(Request request) {
        TranscriptionForm form = TranscriptionForm.read(request.exchange(), maxAudioBytes);
        try {
            Catalog.Model model = access.resolve(request.caller().key(), form.model(), Set.of(ModelKind.TRANSCRIPTION),
                    "/v1/audio/transcriptions");
            Call call = new Call(request.exchange(), request.caller().key(), Endpoint.TRANSCRIPTIONS, form.fields(), model, false);
            call.files = List.of(form.input());
            call.measured = new Usage(0, 0, 0, 0, form.seconds(), 0);
            long holdAmount = call.cost(call.measured);
            if (holdAmount > Price.MAX_HOLD_MICROS) {
                throw Failure.invalid("file", "this audio could cost more than " + Price.MAX_HOLD_MICROS + " micro-credits");
            }
            begin(request, call, routing.plan(model), holdAmount, 0, form::close);
        } catch (RuntimeException e) {
            form.close();
            throw e;
        }
    }

    /** Anthropic's {@code POST /v1/messages}, passed through to the model's Anthropic routes. */
    public void messages(Request request) {
        start(request, Endpoint.MESSAGES);
    }

    /**
     * Anthropic's {@code POST /v1/messages/count_tokens}, passed through to the model's first
     * Anthropic route that answers: free (it generates nothing), so neither held nor logged.
     */
    public void countTokens(Request request) {
        Map<String, Object> payload = request.jsonDocument("model").object();
        String modelName = ChatValidation.model(payload);
        ChatValidation.messages(payload);
        Catalog.Model model = access.resolve(request.caller().key(), modelName, Set.of(ModelKind.CHAT), request.exchange().path());
        Attempt first = routing.plan(model, ModelAccess.serving(model, model.targets(), Operation.COUNT_TOKENS,
                Endpoint.MESSAGES.passedThrough)::contains).first();
        if (first == null) {
            throw Plan.unavailable();
        }
        count(request.exchange(), payload, first);
    }

    private void count(Exchange exchange, Map<String, Object> payload, Attempt attempt) {
        java.util.concurrent.CompletableFuture<ProviderResult> future;
        try {
            future = attempt.client().call(new ProviderRequest(Operation.COUNT_TOKENS, attempt.target().route().upstreamModel(),
                    payload, false));
        } catch (RuntimeException e) {
            future = java.util.concurrent.CompletableFuture.failedFuture(e);
        }
        attempt.within(future, deadlines).whenComplete((result, err) -> {
            if (err == null) {
                attempt.succeeded();
                exchange.respond(new Response(200, result.contentType(), result.body(), Map.of()));
                return;
            }
            ProviderException pe = Upstream.cause(err);
            attempt.failed(pe);
            Attempt next = attempt.plan().next(attempt, pe);
            if (next != null) {
                count(exchange, payload, next);
            } else {
                exchange.respond(ErrorRenderer.render(exchange.path(), Upstream.failure(pe)));
            }
        });
    }

    /** The parts of a call every step needs. */
    final class Call {
        final String id = Ids.timeOrdered("req_");
        final Exchange exchange;
        final ApiKey key;
        final Endpoint endpoint;
        /**
         * The request as parsed (read-only); null once a stream's content flows ({@link #contentFlows}).
         * Guarded, for a stream, by its {@link StreamRelay}.
         */
        Map<String, Object> payload;
        final Catalog.Model model;
        final boolean stream;
        final long startedAt = clock.millis();
        final long startedNanos = System.nanoTime();
        /** Its place under the abuse limits, ended with the tokens used when its record is written. */
        Permit permit = Permit.NONE;
        Hold hold;
        Catalog.Target target;
        int attempts;
        /** System.nanoTime() of the first upstream attempt's start, the last upstream event, the first chunk sent (0: not yet). */
        long upstreamFrom;
        long upstreamTo;
        long firstChunkAt;
        /** The tracer's view of this call and of its current upstream attempt (nothing without a tracer). */
        CallTracer.Call trace = CallTracer.Call.NONE;
        CallTracer.Attempt attempt = CallTracer.Attempt.NONE;
        /** Set once a streamed call is under way, so a shutdown can cut it. */
        volatile StreamRelay streamRelay;
        /** The upstream attempt a non-streamed call waits on, cancelled if the client leaves. */
        volatile java.util.concurrent.CompletableFuture<ProviderResult> upstream;
        /** The client of a non-streamed call left before its answer. */
        volatile boolean abandoned;
        /**
         * The client's JSON body as it came, passed on with the route's model name (null for a
         * multipart call, and once a stream's content flows).
         */
        Json.Document body;
        /** Files sent with the call (a transcription's audio). */
        List<app.apimodels.spi.provider.TaskInput> files = List.of();
        /** What the call is charged whatever the upstream reports (a transcription's measured seconds), or null. */
        Usage measured;

        /** The client left: stop the upstream (both sides read the other's field after writing their own). */
        void abandon() {
            abandoned = true;
            var f = upstream;
            if (f != null) {
                f.cancel(true);
            }
        }

        void cut() {
            StreamRelay s = streamRelay;
            if (s != null) {
                s.cut();
            }
        }

        Call(Exchange exchange, ApiKey key, Endpoint endpoint, Map<String, Object> payload, Catalog.Model model, boolean stream) {
            this.exchange = exchange;
            this.key = key;
            this.endpoint = endpoint;
            this.payload = payload;
            this.model = model;
            this.stream = stream;
        }

        ProviderRequest requestFor(Catalog.Target t) {
            String upstreamModel = t.route().upstreamModel();
            // The payload is read-only (a JSON body as Json.document parses it, a form's fields as
            // TranscriptionForm keeps them): every attempt gets it as it is, not a copy.
            return new ProviderRequest(endpoint.operation, upstreamModel, payload, stream, files,
                    body == null ? null : body.with(upstreamModel));
        }

        /**
         * A stream's first content reached the client, so no other route will be tried: the parsed
         * request goes. A held-open stream would otherwise keep it (maps several times the size of
         * the JSON, which can be a long conversation) for as long as it streams; {@link #estimate}
         * reads the body again in the rare case it is needed.
         */
        void contentFlows() {
            payload = null;
            body = null;
        }

        long cost(Usage usage) {
            return model.spec().price().cost(usage, model.markupBasisPoints());
        }

        /** Counted usage, for when the upstream reports none. */
        Usage estimate(String completionText) {
            Map<String, Object> payload = this.payload != null ? this.payload : Json.object(exchange.body());
            Object prompt = switch (endpoint) {
                case CHAT -> payload.get("messages");
                case EMBEDDINGS -> payload.get("input");
                case RESPONSES -> java.util.Arrays.asList(payload.get("instructions"), payload.get("input"));
                case TRANSCRIPTIONS -> null;
                case MESSAGES -> java.util.Arrays.asList(payload.get("system"), payload.get("messages"));
            };
            return Usage.tokens(tokens.countPrompt(prompt), 0, tokens.count(completionText));
        }

        CallRecord record(int status, String error, Usage usage, boolean estimated, long cost) {
            return new CallRecord(id, key.accountId(), key.recordedId(), endpoint.logName, model.id(),
                    target == null ? null : target.provider().id(), target == null ? null : target.route().upstreamModel(),
                    stream, status, error, startedAt, (int) ((System.nanoTime() - startedNanos) / 1_000_000), attempts,
                    usage, estimated, cost);
        }

        /** An attempt on {@link #target} starts. */
        void attemptStarted() {
            if (upstreamFrom == 0) {
                upstreamFrom = System.nanoTime();
            }
            upstreamTo = 0;
            attempt = trace.attempt(target.provider().type(), target.provider().id(), target.route().upstreamModel());
        }

        /** The current attempt ended: with the usage the upstream reported (null if none), or failed with {@code errorType}. */
        void attemptEnded(Usage usage, String errorType) {
            upstreamTo = System.nanoTime();
            attempt.end(usage, errorType);
            attempt = CallTracer.Attempt.NONE;
        }

        void firstChunk() {
            if (firstChunkAt == 0) {
                firstChunkAt = System.nanoTime();
            }
        }

        CallTiming timing() {
            long now = System.nanoTime();
            long upstream = upstreamFrom == 0 ? -1 : (upstreamTo == 0 ? now : upstreamTo) - upstreamFrom;
            return new CallTiming(now - startedNanos, upstream, firstChunkAt == 0 ? -1 : firstChunkAt - startedNanos);
        }

        void fail(Failure f) {
            exchange.respond(ErrorRenderer.render(exchange.path(), f).withHeader("x-request-id", id));
        }

        /** A failure reported inside a stream whose headers are out, as the endpoint's own clients read it. */
        byte[] streamError(Failure f) {
            Map<String, Object> err = new LinkedHashMap<>();
            switch (endpoint) {
                case MESSAGES -> {
                    // Anthropic's error event carries its error shape.
                    return Sse.event("error", ErrorRenderer.render(exchange.path(), f).body());
                }
                case RESPONSES -> {
                    // The Responses API's own error event: {"type":"error","code","message","param"}.
                    err.put("type", "error");
                    err.put("code", FailureMapping.code(f.reason()));
                    err.put("message", f.getMessage());
                    err.put("param", null);
                    return Sse.event("error", Json.bytes(err));
                }
                default -> {
                    err.put("message", f.getMessage());
                    err.put("type", "api_error");
                    err.put("code", FailureMapping.code(f.reason()));
                    err.put("param", null);
                    return Sse.event(Json.bytes(Map.of("error", err)));
                }
            }
        }
    }

    private void start(Request request, Endpoint endpoint) {
        Exchange exchange = request.exchange();
        ApiKey key = request.caller().key();
        Json.Document body = request.jsonDocument("model");
        Map<String, Object> payload = body.object();
        String modelName = ChatValidation.model(payload);
        boolean stream = endpoint != Endpoint.EMBEDDINGS && ChatValidation.stream(payload);
        long worstInput;
        long worstOutput;
        switch (endpoint) {
            case CHAT -> {
                worstInput = TokenCounter.promptUpperBound(ChatValidation.messages(payload));
                Long max = ChatValidation.maxTokens(payload);
                worstOutput = max == null ? 0 : ChatValidation.choices(payload) * max;
            }
            case MESSAGES -> {
                ChatValidation.messages(payload);
                // The system prompt, tools and documents are prompt too: the whole request bounds them.
                worstInput = TokenCounter.promptUpperBound(payload);
                worstOutput = ChatValidation.requiredMaxTokens(payload);
            }
            case RESPONSES -> {
                ResponsesValidation.check(payload);
                // Everything the client sent may reach the model (instructions, tools, schemas): bound it all.
                worstInput = TokenCounter.promptUpperBound(payload);
                Long max = ResponsesValidation.maxOutputTokens(payload);
                worstOutput = max == null ? 0 : max;
            }
            default -> {
                worstInput = TokenCounter.promptUpperBound(ChatValidation.embeddingInput(payload));
                worstOutput = 0;
            }
        }
        Catalog.Model model;
        try {
            model = access.resolve(key, modelName, Set.of(endpoint.kind), endpoint.path());
        } catch (Failure f) {
            if (f.reason() == Failure.Reason.MODEL_NOT_ALLOWED) {
                // A model of the catalog (never a name the client made up) this key may not use.
                Traces.failed(tracer.start(endpoint.operation, modelName, stream), f);
            }
            throw f;
        }
        // No route can take the call now (breakers open, keys refused or rate limited): nothing is held.
        Plan plan;
        try {
            plan = endpoint.passedThrough == null ? routing.plan(model)
                    : routing.plan(model, ModelAccess.serving(model, model.targets(), endpoint.operation, endpoint.passedThrough)::contains);
        } catch (Failure f) {
            Traces.failed(tracer.start(endpoint.operation, model.id(), stream), f);
            throw f;
        }
        if (endpoint != Endpoint.EMBEDDINGS && worstOutput == 0) {
            long cap = model.spec().maxOutputTokens() != null ? model.spec().maxOutputTokens() : defaultMaxTokens;
            worstOutput = ChatValidation.choices(payload) * cap;
        }
        Call call = new Call(exchange, key, endpoint, payload, model, stream);
        call.body = body;
        long holdAmount = call.cost(model.spec().price().worstCase(worstInput, worstOutput));
        if (holdAmount > Price.MAX_HOLD_MICROS) {
            throw Failure.invalid(payload.containsKey("max_completion_tokens") ? "max_completion_tokens"
                    : payload.containsKey("max_tokens") ? "max_tokens" : null,
                    "this request could cost more than " + Price.MAX_HOLD_MICROS + " micro-credits; ask for fewer tokens");
        }
        begin(request, call, plan, holdAmount, Math.addExact(worstInput, worstOutput), () -> { });
    }

    /**
     * Admits a checked call under the abuse limits, holds {@code holdAmount} and forwards it;
     * {@code ended} runs once the call has ended, whichever way.
     */
    private void begin(Request request, Call call, Plan plan, long holdAmount, long worstTokens, Runnable ended) {
        Exchange exchange = call.exchange;
        ApiKey key = call.key;
        Catalog.Model model = call.model;
        Endpoint endpoint = call.endpoint;
        boolean stream = call.stream;
        call.trace = tracer.start(endpoint.operation, model.id(), stream);
        // Limits count the worst case now and are corrected to the usage when the call's record is written.
        try {
            call.permit = limits.call(request.caller(), exchange, worstTokens);
        } catch (Failure f) {
            Traces.failed(call.trace, f); // refused before the hold: no upstream attempt
            throw f;
        }
        Runnable cut = call::cut;
        Runnable done = () -> {
            inFlight.exit(cut);
            ended.run();
        };
        if (!inFlight.enter(cut)) {
            call.permit.end(0);
            Failure f = new Failure(Failure.Reason.SHUTTING_DOWN, "the service is restarting; retry shortly", null, Duration.ofSeconds(2));
            Traces.failed(call.trace, f); // refused before the hold: no upstream attempt
            throw f;
        }
        ledger.holdForCall(key, holdAmount).whenComplete((hold, err) -> {
            try {
                if (err != null) {
                    Failure f = ModelAccess.holdRefused(err, holdAmount, "request");
                    call.permit.end(0);
                    log(call, call.record(FailureMapping.status(f.reason()), f.getMessage(), Usage.NONE, false, 0));
                    call.fail(f);
                    done.run();
                    return;
                }
                call.hold = hold;
                Attempt first = plan.first();
                if (first == null) {
                    Failure f = Plan.unavailable();
                    release(call, call.record(FailureMapping.status(f.reason()), f.getMessage(), Usage.NONE, false, 0));
                    call.fail(f);
                    done.run();
                    return;
                }
                if (stream) {
                    call.streamRelay = new StreamRelay(this, call, first, done);
                    call.streamRelay.start();
                } else {
                    exchange.onClientGone(call::abandon);
                    unary(call, first, done);
                }
            } catch (RuntimeException e) {
                // Nothing may escape a future's callback unanswered: the client would wait forever.
                LOG.log(System.Logger.Level.ERROR, "call " + call.id + " failed before it was forwarded", e);
                if (hold != null) {
                    release(call, call.record(500, "internal error", Usage.NONE, false, 0));
                } else {
                    call.trace.end(500, Usage.NONE, "500");
                }
                call.permit.end(0);
                call.fail(new Failure(Failure.Reason.INTERNAL, "internal error (reference " + call.id + ")"));
                done.run();
            }
        });
    }

    private void unary(Call call, Attempt attempt, Runnable done) {
        Catalog.Target target = attempt.target();
        call.target = target;
        call.attempts++;
        call.attemptStarted();
        java.util.concurrent.CompletableFuture<ProviderResult> future;
        try {
            future = attempt.client().call(call.requestFor(target));
        } catch (RuntimeException e) {
            future = java.util.concurrent.CompletableFuture.failedFuture(e);
        }
        call.upstream = future;
        if (call.abandoned) {
            future.cancel(true);
        }
        attempt.within(future, deadlines).whenComplete((result, err) -> {
            call.attemptEnded(err == null ? result.usage() : null,
                    err == null ? null : call.abandoned ? Upstream.CANCELLED : Upstream.errorType(Upstream.cause(err)));
            if (err != null && call.abandoned) {
                // The client closed the request (nginx's 499): the cancelled upstream reported nothing to charge.
                attempt.unjudged();
                release(call, call.record(CLIENT_CLOSED, "the client closed the request", Usage.NONE, false, 0));
                done.run();
                return;
            }
            if (err != null) {
                ProviderException pe = Upstream.cause(err);
                attempt.failed(pe);
                Attempt next = attempt.plan().next(attempt, pe);
                if (next != null) {
                    unary(call, next, done);
                    return;
                }
                failed(call, pe);
                done.run();
                return;
            }
            attempt.succeeded();
            Usage usage = call.measured != null ? call.measured : result.usage();
            boolean estimated = usage == null;
            if (estimated) {
                usage = call.estimate(completionText(call.endpoint, result.body()));
            }
            long cost = call.cost(usage);
            // Queued before the answer leaves, so a client's next read (after a ledger flush) sees it.
            // An answer that came as the client left is still charged: the upstream did the work.
            settle(call, cost, call.abandoned
                    ? call.record(CLIENT_CLOSED, "the client closed the request", usage, estimated, cost)
                    : call.record(200, null, usage, estimated, cost));
            byte[] body = result.contentType() != null && result.contentType().startsWith("application/json")
                    ? ModelName.rewrite(result.body(), target.route().upstreamModel(), call.model.id())
                    : result.body(); // a transcript as text, SRT or WebVTT: not JSON to rewrite
            call.exchange.respond(new Response(200, result.contentType(), body, Map.of("x-request-id", call.id)));
            done.run();
        });
    }

    /** Answers the client for a call that failed upstream; the hold is released, nothing is charged. */
    void failed(Call call, ProviderException pe) {
        Failure f = Upstream.failure(pe);
        release(call, call.record(FailureMapping.status(f.reason()), f.getMessage(), Usage.NONE, false, 0));
        call.fail(f);
    }

    void settle(Call call, long cost, CallRecord record) {
        call.permit.end(Math.addExact(record.usage().inputTokens(), record.usage().outputTokens()));
        ended(call, record);
        ledger.settle(call.hold, cost, record);
    }

    void release(Call call, CallRecord record) {
        call.permit.end(0);
        ended(call, record);
        ledger.release(call.hold, record);
    }

    private void log(Call call, CallRecord record) {
        ended(call, record);
        ledger.log(record);
    }

    /** Every way a call ends passes here once: measured and its trace closed. */
    private void ended(Call call, CallRecord record) {
        metrics.call(record, call.timing());
        call.trace.end(record.status(), record.usage(), record.status() == 200 ? null : Integer.toString(record.status()));
    }

    /** The generated text of a non-streamed answer (only needed when usage is missing). */
    private static String completionText(Endpoint endpoint, byte[] body) {
        try {
            Map<String, Object> json = Json.object(body);
            StringBuilder text = new StringBuilder();
            if (endpoint == Endpoint.RESPONSES && json.get("output") instanceof List<?> output) {
                // Responses: output items (messages) with content parts (output_text, refusal).
                for (Object item : output) {
                    if (item instanceof Map<?, ?> m && m.get("content") instanceof List<?> parts) {
                        for (Object part : parts) {
                            if (part instanceof Map<?, ?> p && p.get("text") instanceof String s) {
                                text.append(s);
                            }
                        }
                    }
                }
            }
            if (endpoint == Endpoint.MESSAGES && json.get("content") instanceof List<?> blocks) {
                // Messages: content blocks (text; tool input is not text).
                for (Object b : blocks) {
                    if (b instanceof Map<?, ?> block && block.get("text") instanceof String t) {
                        text.append(t);
                    }
                }
            }
            if (json.get("choices") instanceof List<?> choices) {
                for (Object c : choices) {
                    if (c instanceof Map<?, ?> choice && choice.get("message") instanceof Map<?, ?> message
                            && message.get("content") instanceof String s) {
                        text.append(s);
                    }
                }
            }
            return text.toString();
        } catch (ApiException e) {
            return "";
        }
    }

    ScheduledExecutorService timer() {
        return timer;
    }

    Duration keepAlive() {
        return keepAlive;
    }
}
