package app.apimodels.core.tasks;

import app.apimodels.core.calllog.CallRecord;
import app.apimodels.core.catalog.Catalog;
import app.apimodels.core.failure.Failure;
import app.apimodels.core.fetch.FetchException;
import app.apimodels.core.jobs.Jobs;
import app.apimodels.core.ledger.Hold;
import app.apimodels.core.ledger.Ledger;
import app.apimodels.core.media.MediaException;
import app.apimodels.core.media.MediaObject;
import app.apimodels.core.media.MediaStore;
import app.apimodels.core.metrics.Metrics;
import app.apimodels.core.relay.Traces;
import app.apimodels.core.relay.Upstream;
import app.apimodels.core.web.FailureMapping;
import app.apimodels.spi.provider.ProviderClient;
import app.apimodels.spi.provider.ProviderException;
import app.apimodels.spi.provider.TaskOutput;
import app.apimodels.spi.provider.TaskState;
import app.apimodels.spi.provider.TaskUpdate;
import app.apimodels.spi.provider.Usage;
import app.apimodels.spi.storage.StorageException;
import app.apimodels.spi.trace.CallTracer;
import app.apimodels.spi.webhook.InboundWebhook;

import java.io.ByteArrayInputStream;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;

/**
 * Follows a task the provider took until it ends: polls with backoff (or is woken by the
 * provider's webhook), copies every output into our storage before the provider's link expires,
 * then charges what was produced — or, on failure, timeout or a copy that could not be made,
 * charges nothing. Each run is a step of the task's durable job, so a restart or another node
 * carries on where this one stopped.
 */
final class TaskRunner {

    private static final System.Logger LOG = System.getLogger(TaskRunner.class.getName());
    /** What a run's trace ends with when the task runs on. */
    private static final int STILL_RUNNING = 202;
    /** How long a run waits for a hold's end to commit before leaving it to the task's job. */
    private static final Duration HOLD_END_WAIT = Duration.ofSeconds(30);

    private final TaskStore store;
    private final TaskViews views;
    private final Clock clock;
    private final Supplier<Catalog> catalog;
    private final Ledger ledger;
    private final MediaStore media;
    private final Jobs jobs;
    private final Metrics metrics;
    private final CallTracer tracer;
    private final TaskService.Config config;

    TaskRunner(TaskStore store, TaskViews views, Clock clock, Supplier<Catalog> catalog, Ledger ledger, MediaStore media,
               Jobs jobs, Metrics metrics, CallTracer tracer, TaskService.Config config) {
        this.store = store;
        this.views = views;
        this.clock = clock;
        this.catalog = catalog;
        this.ledger = ledger;
        this.media = media;
        this.jobs = jobs;
        this.metrics = metrics;
        this.tracer = tracer;
        this.config = config;
    }

    /** One run of a task's job: poll, copy outputs, finish. Returns when to run again, or null when done. */
    Instant step(String id) {
        Optional<Task> found = store.load(id);
        if (found.isEmpty() || found.get().terminal()) {
            return null;
        }
        Task task = found.get();
        long started = clock.millis();
        switch (task.state()) {
            case SUBMITTING -> {
                // The node that took the task stopped before the provider answered.
                fail(task, Failure.Reason.UPSTREAM_FAILED, "the task could not be handed to a provider");
                return next(id);
            }
            case RUNNING -> {
                if (started > task.deadlineAt()) {
                    target(task.provider()).ifPresent(t -> t.client().cancel(task.upstreamId()));
                    fail(task, Failure.Reason.UPSTREAM_TIMEOUT,
                            "the task did not finish within " + (task.deadlineAt() - task.createdAt()) / 1000 + " seconds");
                    return next(id);
                }
                Optional<Catalog.Target> target = target(task.provider());
                if (target.isEmpty() && catalog.get().unavailable(task.provider()).isPresent()) {
                    // This node cannot call the task's provider; one that can polls it (or the deadline ends it).
                    return nextPoll(task, started);
                }
                if (target.isEmpty()) {
                    fail(task, Failure.Reason.UPSTREAM_FAILED, "the task's provider is no longer configured");
                    return next(id);
                }
                CallTracer.Call run = tracer.taskRun(TaskSubmission.operation(task.kind()), task.model(), id);
                CallTracer.Attempt poll = run.attempt(target.get().provider().type(), task.provider(), task.upstreamModel());
                TaskUpdate update;
                try {
                    update = target.get().client().poll(task.upstreamId()).get(60, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    poll.end(null, Upstream.CANCELLED);
                    run.end(STILL_RUNNING, Usage.NONE, null);
                    return clock.instant();
                } catch (ExecutionException | TimeoutException e) {
                    ProviderException pe = Upstream.cause(e instanceof ExecutionException ? e.getCause() : e);
                    poll.end(null, Upstream.errorType(pe));
                    if (pe.kind() == ProviderException.Kind.INVALID_REQUEST) {
                        fail(task, Failure.Reason.UPSTREAM_FAILED, "the provider lost the task: " + pe.getMessage());
                        ranTo(run, id);
                        return next(id);
                    }
                    LOG.log(System.Logger.Level.DEBUG, "poll of task {0} failed, retrying: {1}", id, pe.getMessage());
                    run.end(STILL_RUNNING, Usage.NONE, null);
                    return nextPoll(task, started);
                }
                poll.end(update.usage(), null);
                if (update.state().terminal()) {
                    apply(task, update);
                    ranTo(run, id);
                    return next(id);
                }
                store.polled(id);
                run.end(STILL_RUNNING, Usage.NONE, null);
                return nextPoll(task, started);
            }
            case REHOSTING -> {
                rehost(task);
                return next(id);
            }
            case FAILING, COMPLETING -> {
                // A run stopped (or its ledger write failed) between deciding the outcome and showing it.
                end(task);
                return next(id);
            }
            default -> {
                return null;
            }
        }
    }

    private Instant nextPoll(Task task, long started) {
        // A webhook that arrived while we polled has already moved the task on: look again now.
        Optional<Task> now = store.load(task.id());
        if (now.isPresent() && (now.get().state() != Task.State.RUNNING || (now.get().wokenAt() != null && now.get().wokenAt() >= started))) {
            return clock.instant();
        }
        double factor = Math.pow(1.5, Math.min(task.polls(), 20));
        long delay = Math.min((long) (config.pollInitial().toMillis() * factor), config.pollMax().toMillis());
        return Instant.ofEpochMilli(Math.min(clock.millis() + delay, task.deadlineAt() + 1));
    }

    /** When the task's job runs again: never once it has ended; soon while its hold is to end; else when a copy is due. */
    private Instant next(String id) {
        Task task = store.load(id).orElse(null);
        if (task == null || task.terminal()) {
            return null;
        }
        return task.state().ending() ? clock.instant().plus(config.pollInitial()) : nextRehost(task);
    }

    private Instant nextRehost(Task task) {
        long deadline = task.outputs().stream().filter(o -> o.mediaId() == null).mapToLong(Task.Output::deadline).min()
                .orElse(clock.millis());
        long retry = clock.millis() + Math.min(config.pollInitial().toMillis() * 2, Math.max(0, (deadline - clock.millis()) / 4));
        return Instant.ofEpochMilli(Math.min(retry, deadline));
    }

    /** A terminal update from the provider (by poll, webhook, or a synchronous submit). */
    void apply(Task task, TaskUpdate update) {
        if (update.state() != TaskState.SUCCEEDED) {
            String why = update.state() == TaskState.CANCELED ? "the provider cancelled the task"
                    : update.error() == null || update.error().isBlank() ? "the provider could not complete the task" : update.error();
            fail(task, Failure.Reason.UPSTREAM_FAILED, why);
            return;
        }
        long now = clock.millis();
        long fallback = now + config.rehostValidity().toMillis();
        List<Task.Output> outputs = new ArrayList<>();
        List<TaskOutput> inline = new ArrayList<>();
        for (TaskOutput o : update.outputs()) {
            if (o.data() != null) {
                inline.add(o);
                continue;
            }
            long deadline = fallback;
            Optional<Instant> signed = LinkExpiry.of(o.url());
            if (signed.isPresent()) {
                deadline = Math.min(deadline, signed.get().toEpochMilli());
            }
            if (o.expiresAt() != null) {
                deadline = Math.min(deadline, o.expiresAt().toEpochMilli());
            }
            outputs.add(new Task.Output(o.url().toString(), o.contentType(), deadline, null));
        }
        // Bytes handed over in the answer cannot wait for a later run: store them now.
        for (TaskOutput o : inline) {
            try {
                MediaObject m = media.store(task.accountId(), "output", new ByteArrayInputStream(o.data()), null,
                        media.limits().maxBytes(), config.outputRetention(), task.id());
                outputs.add(new Task.Output(null, m.contentType(), now, m.id()));
            } catch (MediaException e) {
                fail(task, Failure.Reason.UPSTREAM_FAILED, "the result could not be stored: " + e.getMessage());
                return;
            }
        }
        if (store.rehosting(task.id(), outputs, update.usage(), now)) {
            rehost(store.load(task.id()).orElseThrow());
        }
    }

    /** Copies every output not copied yet; completes the task when all are, fails it when a link ran out. */
    private void rehost(Task task) {
        List<Task.Output> outputs = new ArrayList<>(task.outputs());
        boolean progress = false;
        for (int i = 0; i < outputs.size(); i++) {
            Task.Output o = outputs.get(i);
            if (o.mediaId() != null) {
                continue;
            }
            if (clock.millis() > o.deadline()) {
                fail(task, Failure.Reason.UPSTREAM_FAILED, "the result could not be copied before the provider's link expired");
                return;
            }
            try {
                MediaObject m = media.fetch(task.accountId(), "output", URI.create(o.url()), config.fetchTimeout(),
                        config.outputRetention(), task.id());
                outputs.set(i, o.withMedia(m.id()));
                progress = true;
            } catch (FetchException e) {
                if ("http_status".equals(e.reason()) && (e.status() == 404 || e.status() == 410 || e.status() == 403)) {
                    fail(task, Failure.Reason.UPSTREAM_FAILED, "the provider's result is gone (" + e.status() + ") and could not be copied");
                    return;
                }
                if ("blocked_address".equals(e.reason()) || "bad_scheme".equals(e.reason()) || "bad_url".equals(e.reason())
                        || "too_large".equals(e.reason())) {
                    fail(task, Failure.Reason.UPSTREAM_FAILED, "the provider's result could not be copied: " + e.getMessage());
                    return;
                }
                LOG.log(System.Logger.Level.INFO, "copy of a result of task {0} failed, retrying: {1}", task.id(), e.getMessage());
            } catch (MediaException e) {
                if (e.reason() != MediaException.Reason.STORAGE_UNAVAILABLE) {
                    fail(task, Failure.Reason.UPSTREAM_FAILED, "the provider's result is not usable: " + e.getMessage());
                    return;
                }
                LOG.log(System.Logger.Level.WARNING, "storage refused a result of task {0}, retrying: {1}", task.id(), e.getMessage());
            } catch (StorageException e) {
                LOG.log(System.Logger.Level.WARNING, "storage failed for task {0}, retrying: {1}", task.id(), e.getMessage());
            }
        }
        if (progress) {
            store.copied(task.id(), outputs, clock.millis());
        }
        if (outputs.stream().allMatch(o -> o.mediaId() != null)) {
            complete(store.load(task.id()).orElseThrow(), outputs);
        }
    }

    private void complete(Task task, List<Task.Output> outputs) {
        Usage usage = produced(task, outputs.size());
        Catalog.Model model = catalog.get().model(task.model()).orElse(null);
        // Never more than the hold: the client agreed to the worst case, not beyond.
        long cost = model == null ? task.holdAmount()
                : Math.min(task.holdAmount(), model.spec().price().cost(usage, model.markupBasisPoints()));
        if (store.completing(task.id(), cost, outputs.stream().map(Task.Output::mediaId).toList(), clock.millis())) {
            end(store.load(task.id()).orElseThrow());
        }
    }

    /** What was produced: as the provider reported, else the quantity asked for (images: no more than delivered). */
    private Usage produced(Task task, int outputs) {
        Usage asked = requested(task);
        Usage reported = task.usage();
        if (reported != null) {
            return new Usage(reported.inputTokens(), reported.cachedInputTokens(), reported.outputTokens(),
                    reported.images() > 0 ? reported.images() : Math.min(asked.images(), outputs),
                    reported.seconds() > 0 ? reported.seconds() : asked.seconds(),
                    reported.characters() > 0 ? reported.characters() : asked.characters());
        }
        return new Usage(0, 0, 0, Math.min(asked.images(), outputs), asked.seconds(), asked.characters());
    }

    private Usage requested(Task task) {
        Catalog.Model model = catalog.get().model(task.model()).orElse(null);
        if (model == null) {
            return Usage.NONE;
        }
        try {
            return TaskParams.validate(model.spec(), task.input(), Set.of()).quantity();
        } catch (Failure e) {
            // The model's parameters changed since submission: charge per delivered output only.
            return new Usage(0, 0, 0, 1, 0, 0);
        }
    }

    /** Ends a task without charging; idempotent (only the first decided outcome counts). */
    void fail(Task task, Failure.Reason reason, String message) {
        String msg = message.length() > 500 ? message.substring(0, 500) : message;
        if (store.failing(task.id(), msg, FailureMapping.status(reason), clock.millis())) {
            end(store.load(task.id()).orElseThrow());
        }
    }

    /**
     * Ends a failing or completing task's hold (releases it, or settles its cost), waits until that
     * is committed, and only then shows the task failed or completed: a client that sees the task
     * finished (or is called back) sees its money final. The outcome was claimed first (the state
     * change to failing or completing), so a second run for the same task — a webhook beside a
     * poll — cannot end the hold the other way. Run again after a crash between the two steps (the
     * task's job resumes an ending task), the hold's end is a duplicate and moves nothing.
     */
    private void end(Task task) {
        boolean completing = task.state() == Task.State.COMPLETING;
        CallRecord record = completing
                ? record(task, 200, null, produced(task, task.resultIds().size()), task.costMicros())
                : record(task, task.failStatus(), task.failMsg(), Usage.NONE, 0);
        try {
            Optional<Hold> hold = ledger.find(task.holdId());
            if (hold.isPresent()) {
                (completing ? ledger.settle(hold.get(), task.costMicros(), record) : ledger.release(hold.get(), record))
                        .get(HOLD_END_WAIT.toMillis(), TimeUnit.MILLISECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            retryEnd(task);
            return;
        } catch (ExecutionException | TimeoutException e) {
            LOG.log(System.Logger.Level.WARNING, "the hold of task {0} did not end yet, retrying: {1}", task.id(), e.toString());
            retryEnd(task);
            return;
        }
        if (store.ended(task.id(), clock.millis())) {
            metrics.call(record);
            Task ended = store.load(task.id()).orElseThrow();
            if (ended.callbackUrl() != null) {
                jobs.schedule(TaskService.CALLBACK_JOB, ended.id(), clock.instant());
            }
            views.ended(ended);
        }
    }

    /** The task's job ends the hold later (a run under way rereads the task's state when it returns). */
    private void retryEnd(Task task) {
        jobs.schedule(TaskService.JOB, task.id(), clock.instant().plus(config.pollInitial()));
    }

    /** The call log's line for a task; its status is what a client of this outcome is answered. */
    private CallRecord record(Task task, int status, String error, Usage usage, long cost) {
        // Up to the decision (completed_at is set with it), however long the hold's end then takes.
        long latency = Math.min(Integer.MAX_VALUE, task.completedAt() - task.createdAt());
        return new CallRecord(task.id(), task.accountId(), task.keyId(), task.kind().wireName() + "/generations", task.model(),
                task.provider(), task.upstreamModel(), false, status, error, task.createdAt(), (int) latency, 1, usage,
                false, cost);
    }

    /** The client of a configured provider instance (one serving some model), if any. */
    private Optional<Catalog.Target> target(String providerId) {
        return catalog.get().models().stream().flatMap(m -> m.targets().stream())
                .filter(t -> t.provider().id().equals(providerId)).findFirst();
    }

    /**
     * Ends a run's trace with where the task now stands: completed (what it was charged for),
     * failed, or still running (its outputs being copied).
     */
    private void ranTo(CallTracer.Call run, String id) {
        Task task = store.load(id).orElse(null);
        if (task == null || !task.terminal()) {
            run.end(STILL_RUNNING, Usage.NONE, null);
        } else if (task.state() == Task.State.COMPLETED) {
            run.end(200, produced(task, task.outputs().size()), null);
        } else {
            Traces.failed(run, new Failure(Failure.Reason.UPSTREAM_FAILED, "the task failed"));
        }
    }

    /**
     * A provider's webhook: verified by the provider, then applied to the task it names. Returns
     * false if the provider is unknown; 503 if this node cannot call it.
     */
    boolean webhook(String providerId, InboundWebhook webhook) {
        Optional<ProviderClient> client = target(providerId).map(Catalog.Target::client);
        if (client.isEmpty() && catalog.get().unavailable(providerId).isPresent()) {
            // This node cannot verify it; a retry may reach one that can (and polling covers it anyway).
            throw new Failure(Failure.Reason.UNAVAILABLE, "provider '" + providerId + "' is not available on this node");
        }
        if (client.isEmpty()) {
            return false;
        }
        Optional<TaskUpdate> update = client.get().parseWebhook(webhook);
        if (update.isEmpty() || update.get().upstreamId() == null) {
            return true;
        }
        Optional<Task> task = store.byUpstream(providerId, update.get().upstreamId());
        if (task.isEmpty() || task.get().terminal()) {
            return true; // not ours yet (the submit answer is still on its way) or already done: polling covers it
        }
        if (update.get().state().terminal() && task.get().state() == Task.State.RUNNING) {
            apply(task.get(), update.get());
        }
        store.woken(task.get().id(), clock.millis());
        if (!store.load(task.get().id()).map(Task::terminal).orElse(true)) {
            jobs.schedule(TaskService.JOB, task.get().id(), clock.instant());
        }
        return true;
    }
}
