package app.apimodels.core.tasks;

import app.apimodels.core.ids.Ids;
import app.apimodels.core.catalog.Catalog;
import app.apimodels.core.catalog.ModelAccess;
import app.apimodels.core.catalog.ModelKind;
import app.apimodels.core.catalog.Price;
import app.apimodels.core.routing.Attempt;
import app.apimodels.core.routing.Plan;
import app.apimodels.core.routing.Routing;
import app.apimodels.core.failure.Failure;
import app.apimodels.core.fetch.FetchException;
import app.apimodels.core.fetch.SafeFetcher;
import app.apimodels.core.jobs.Jobs;
import app.apimodels.core.keys.ApiKey;
import app.apimodels.core.ledger.Hold;
import app.apimodels.core.ledger.Ledger;
import app.apimodels.core.media.MediaException;
import app.apimodels.core.media.MediaLinks;
import app.apimodels.core.media.MediaObject;
import app.apimodels.core.media.MediaStore;
import app.apimodels.core.relay.Traces;
import app.apimodels.core.relay.Upstream;
import app.apimodels.spi.provider.Operation;
import app.apimodels.spi.provider.ProviderException;
import app.apimodels.spi.provider.TaskInput;
import app.apimodels.spi.provider.TaskRequest;
import app.apimodels.spi.provider.TaskUpdate;
import app.apimodels.spi.provider.Usage;
import app.apimodels.spi.trace.CallTracer;

import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Starts a task: checks the model and the parameters, takes the media inputs in, holds the worst
 * case price, then hands the task to the model's routes in order (the next one when one refuses).
 * A durable job is scheduled before the provider is asked, so a task whose node dies meanwhile is
 * failed and its hold freed.
 */
final class TaskSubmission {

    private final TaskStore store;
    private final TaskRunner runner;
    private final Clock clock;
    private final ModelAccess access;
    private final Ledger ledger;
    private final MediaStore media;
    private final MediaLinks links;
    private final SafeFetcher fetcher;
    private final Jobs jobs;
    private final TaskService.Config config;
    private final Routing routing;
    private final CallTracer tracer;

    TaskSubmission(TaskStore store, TaskRunner runner, Clock clock, ModelAccess access, Routing routing, Ledger ledger, MediaStore media,
                   MediaLinks links, SafeFetcher fetcher, Jobs jobs, CallTracer tracer, TaskService.Config config) {
        this.routing = routing;
        this.tracer = tracer;
        this.store = store;
        this.runner = runner;
        this.clock = clock;
        this.access = access;
        this.ledger = ledger;
        this.media = media;
        this.links = links;
        this.fetcher = fetcher;
        this.jobs = jobs;
        this.config = config;
    }

    /** Which models a path serves: {@code images} → image, {@code video} → video, {@code audio} → audio and speech. */
    static Set<ModelKind> kinds(String path) {
        return switch (path) {
            case "images" -> Set.of(ModelKind.IMAGE);
            case "video" -> Set.of(ModelKind.VIDEO);
            case "audio" -> Set.of(ModelKind.AUDIO, ModelKind.SPEECH);
            default -> Set.of();
        };
    }

    /**
     * Validates and starts a task; returns it as stored after the provider answered (a
     * synchronous provider's task is already completed or failed).
     *
     * @param ignored request fields that are neither model parameters nor ours (OpenAI's {@code response_format})
     */
    Task submit(ApiKey key, String path, Map<String, Object> body, String requestBase, Set<String> ignored) {
        Object modelField = body.get("model");
        if (!(modelField instanceof String modelName) || modelName.isBlank()) {
            throw Failure.invalid("model", "model is required");
        }
        Operation operation;
        Catalog.Model model;
        try {
            model = access.resolve(key, modelName, kinds(path), path + " generations");
            operation = operation(model.spec().kind());
        } catch (Failure f) {
            if (f.reason() == Failure.Reason.MODEL_NOT_ALLOWED) {
                // A model of the catalog (never a name the client made up) this key may not use.
                access.model(modelName).ifPresent(m -> Traces.failed(tracer.start(operation(m.spec().kind()), m.id(), false), f));
            }
            throw f;
        }
        Plan plan;
        try {
            plan = routing.plan(model);
        } catch (Failure f) {
            Traces.failed(tracer.start(operation, model.id(), false), f);
            throw f;
        }
        String callbackUrl = callbackUrl(body);
        TaskParams params = TaskParams.validate(model.spec(), body, ignored);
        long holdAmount = model.spec().price().cost(params.quantity(), model.markupBasisPoints());
        if (holdAmount > Price.MAX_HOLD_MICROS) {
            throw Failure.invalid(null, "this task could cost more than " + Price.MAX_HOLD_MICROS + " micro-credits");
        }
        Duration timeout = model.spec().timeoutSeconds() != null ? Duration.ofSeconds(model.spec().timeoutSeconds()) : config.defaultTimeout();

        String id = Ids.prefixed("task_");
        Map<String, Object> input = new LinkedHashMap<>(params.input());
        List<TaskInput> inputs = new ArrayList<>();
        params.urls().forEach((field, urls) -> {
            List<String> ours = new ArrayList<>();
            for (String url : urls) {
                MediaObject m = inputFile(key.accountId(), field, url, id, model.spec().parameters().get(field).media());
                String link = links.url(requestBase, m.id());
                ours.add(link);
                inputs.add(new TaskInput(field, link, m.contentType(), m.size(), () -> media.open(m, 0, -1).stream()));
            }
            input.put(field, input.get(field) instanceof List<?> ? List.copyOf(ours) : ours.get(0));
        });

        CallTracer.Call trace = tracer.start(operation, model.id(), false);
        trace.task(id);
        try {
            Task task = handOver(key, model, modelName, operation, plan, id, input, inputs, callbackUrl, requestBase,
                    holdAmount, timeout, trace);
            trace.end(200, Usage.NONE, null); // charged when the task completes, in its run's trace
            return task;
        } catch (Failure f) {
            Traces.failed(trace, f);
            throw f;
        } catch (RuntimeException e) {
            trace.end(500, Usage.NONE, "500");
            throw e;
        }
    }

    /** Holds the task's worst case, stores it and hands it to the first provider that accepts it. */
    private Task handOver(ApiKey key, Catalog.Model model, String modelName, Operation operation, Plan plan, String id,
                          Map<String, Object> input, List<TaskInput> inputs, String callbackUrl, String requestBase,
                          long holdAmount, Duration timeout, CallTracer.Call trace) {
        // Long enough for the task, its copies and its retries: the sweep must not void a live task's hold.
        Duration holdTtl = timeout.plus(config.rehostValidity()).plusHours(1);
        Hold hold;
        try {
            hold = ledger.hold(key, holdAmount, holdTtl).join();
        } catch (CompletionException e) {
            throw ModelAccess.holdRefused(e, holdAmount, "task");
        }
        long now = clock.millis();
        store.insert(id, key.accountId(), key.recordedId(), model.spec().kind(), modelName, input, callbackUrl, requestBase, hold.id(),
                holdAmount, now, now + timeout.toMillis());
        // If this node dies before the provider answers, the job fails the task and frees the hold.
        jobs.schedule(TaskService.JOB, id, Instant.ofEpochMilli(now).plus(submitGrace(model)));

        ProviderException last = null;
        for (Attempt attempt = plan.first(); attempt != null; attempt = attempt.plan().next(attempt, last)) {
            Catalog.Target target = attempt.target();
            TaskRequest request = new TaskRequest(operation, target.route().upstreamModel(), input, inputs,
                    webhookUrl(requestBase, target.provider().id(), id));
            CallTracer.Attempt traced = trace.attempt(target.provider().type(), target.provider().id(), target.route().upstreamModel());
            TaskUpdate update;
            try {
                update = attempt.client().submit(request).get(attempt.timeout().toMillis(), TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                attempt.unjudged();
                last = new ProviderException(ProviderException.Kind.NETWORK, "interrupted", e);
                traced.end(null, Upstream.CANCELLED);
                break;
            } catch (TimeoutException e) {
                last = new ProviderException(ProviderException.Kind.TIMEOUT, "the provider did not accept the task in time", e);
                attempt.failed(last);
                traced.end(null, Upstream.errorType(last));
                continue;
            } catch (ExecutionException e) {
                last = Upstream.cause(e.getCause());
                attempt.failed(last);
                traced.end(null, Upstream.errorType(last));
                continue;
            }
            attempt.succeeded();
            traced.end(update.usage(), null);
            if (!store.running(id, target.provider().id(), target.route().upstreamModel(), update.upstreamId(), clock.millis())) {
                // The job gave up on this task meanwhile; the upstream's work is not wanted.
                if (update.upstreamId() != null) {
                    attempt.client().cancel(update.upstreamId());
                }
                throw new Failure(Failure.Reason.UPSTREAM_TIMEOUT, "the provider did not accept the task in time");
            }
            if (update.state().terminal()) {
                runner.apply(store.load(id).orElseThrow(), update);
            } else {
                jobs.schedule(TaskService.JOB, id, clock.instant().plus(config.pollInitial()));
            }
            return store.load(id).orElseThrow();
        }
        Failure failure = last != null ? Upstream.failure(last) : Plan.unavailable();
        String cause = last != null ? last.getMessage() : failure.getMessage();
        runner.fail(store.load(id).orElseThrow(), failure.reason(), cause);
        throw failure;
    }

    private static Duration submitGrace(Catalog.Model model) {
        long longest = model.targets().stream().mapToLong(t -> t.provider().timeoutSeconds()).max().orElse(60);
        return Duration.ofSeconds(Math.min(longest, 3600) * model.targets().size() + 60);
    }

    private String callbackUrl(Map<String, Object> body) {
        Object value = body.containsKey("callback_url") ? body.get("callback_url") : body.get("callBackUrl");
        String field = body.containsKey("callback_url") ? "callback_url" : "callBackUrl";
        if (value == null) {
            return null;
        }
        if (!(value instanceof String s) || s.isBlank() || s.length() > 2000) {
            throw Failure.invalid(field, field + " must be an http(s) URL of at most 2000 characters");
        }
        try {
            fetcher.check(URI.create(s.trim()));
        } catch (FetchException e) {
            throw Failure.invalid(field, field + ": " + e.getMessage());
        } catch (IllegalArgumentException e) {
            throw Failure.invalid(field, field + " must be an http(s) URL of at most 2000 characters");
        }
        return s.trim();
    }

    /** A media input: the caller's own upload (by id or by our link), or a URL fetched safely and stored. */
    private MediaObject inputFile(long owner, String field, String url, String taskId, String family) {
        String fileId = url.startsWith("file_") ? url : ourFileId(url);
        MediaObject m;
        if (fileId != null) {
            m = media.owned(owner, fileId).orElseThrow(() -> Failure.invalid(field, field + ": no such uploaded file"));
        } else {
            URI uri;
            try {
                uri = URI.create(url);
            } catch (IllegalArgumentException e) {
                throw Failure.invalid(field, field + " is not a valid URL");
            }
            try {
                m = media.fetch(owner, "input", uri, config.fetchTimeout(), config.inputRetention(), taskId);
            } catch (FetchException e) {
                throw Failure.invalid(field, field + ": " + e.getMessage());
            } catch (MediaException e) {
                throw e.at(field);
            }
        }
        if (family != null && !m.contentType().startsWith(family + "/")) {
            throw new Failure(Failure.Reason.UNSUPPORTED_MEDIA_TYPE, field + " must be " + (family.equals("image") ? "an " : "a ")
                    + family + " file, not " + m.contentType(), field);
        }
        return m;
    }

    /** The file id in one of our media links ({@code …/media/file_…?expires=…}), or null. */
    private static String ourFileId(String url) {
        int at = url.indexOf("/media/file_");
        if (at < 0) {
            return null;
        }
        String rest = url.substring(at + "/media/".length());
        int end = rest.indexOf('?');
        return end < 0 ? rest : rest.substring(0, end);
    }

    private URI webhookUrl(String requestBase, String providerId, String taskId) {
        if (!config.providerWebhooks()) {
            return null;
        }
        return URI.create(links.base(requestBase) + "/webhooks/providers/" + providerId + "?task=" + taskId);
    }

    static Operation operation(ModelKind kind) {
        return switch (kind) {
            case IMAGE -> Operation.IMAGES;
            case VIDEO -> Operation.VIDEO;
            case AUDIO -> Operation.AUDIO;
            case SPEECH -> Operation.SPEECH;
            default -> throw new IllegalArgumentException(kind.name());
        };
    }
}
