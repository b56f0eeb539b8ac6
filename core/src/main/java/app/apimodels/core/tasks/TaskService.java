package app.apimodels.core.tasks;

import app.apimodels.core.calllog.CallRecord;
import app.apimodels.core.catalog.Catalog;
import app.apimodels.core.catalog.Price;
import app.apimodels.core.catalog.ModelKind;
import app.apimodels.core.db.Sql;
import app.apimodels.core.fetch.FetchException;
import app.apimodels.core.fetch.SafeFetcher;
import app.apimodels.core.jobs.Jobs;
import app.apimodels.core.keys.ApiKey;
import app.apimodels.core.ledger.Hold;
import app.apimodels.core.ledger.InsufficientCreditsException;
import app.apimodels.core.ledger.Ledger;
import app.apimodels.core.media.MediaApi;
import app.apimodels.core.media.MediaException;
import app.apimodels.core.media.MediaLinks;
import app.apimodels.core.media.MediaObject;
import app.apimodels.core.media.MediaStore;
import app.apimodels.core.metrics.Metrics;
import app.apimodels.core.relay.Relay;
import app.apimodels.core.web.ApiException;
import app.apimodels.core.web.Json;
import app.apimodels.spi.provider.Operation;
import app.apimodels.spi.provider.ProviderClient;
import app.apimodels.spi.provider.ProviderException;
import app.apimodels.spi.provider.TaskInput;
import app.apimodels.spi.provider.TaskOutput;
import app.apimodels.spi.provider.TaskRequest;
import app.apimodels.spi.provider.TaskState;
import app.apimodels.spi.provider.TaskUpdate;
import app.apimodels.spi.provider.Usage;
import app.apimodels.spi.storage.StorageException;
import app.apimodels.spi.webhook.InboundWebhook;
import com.fasterxml.jackson.core.type.TypeReference;

import java.io.ByteArrayInputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;

/**
 * Generation tasks, from submission to a terminal state: hold the worst-case price, hand the
 * task to a provider (trying the next route when one refuses), follow it by polling with backoff
 * or by the provider's webhook, copy every output into our storage before the provider's link
 * expires, then charge what was produced — or, on failure, timeout or a copy that could not be
 * made, charge nothing. Every step is a durable job ({@link Jobs}), so a restart or another node
 * carries on where this one stopped; each state change is a conditional update, so two nodes
 * can never both finish a task.
 */
public final class TaskService {

    public static final String JOB = "task";
    public static final String CALLBACK_JOB = "task-callback";

    private static final System.Logger LOG = System.getLogger(TaskService.class.getName());
    private static final TypeReference<List<Output>> OUTPUTS = new TypeReference<>() {
    };

    /**
     * Settings.
     *
     * @param outputRetention how long generated files are kept, or null for ever
     */
    public record Config(Duration defaultTimeout, Duration pollInitial, Duration pollMax, Duration rehostValidity,
                         Duration inputRetention, Duration outputRetention, Duration fetchTimeout,
                         boolean providerWebhooks) {
    }

    /** One output as tracked while it is copied: the upstream's link, its deadline, and our copy once made. */
    record Output(String url, String contentType, long deadline, String mediaId) {
        Output withMedia(String id) {
            return new Output(url, contentType, deadline, id);
        }
    }

    private final Sql sql;
    private final Clock clock;
    private final Supplier<Catalog> catalog;
    private final Ledger ledger;
    private final MediaStore media;
    private final MediaLinks links;
    private final SafeFetcher fetcher;
    private final Jobs jobs;
    private final Config config;
    private final Callbacks callbacks;
    private final Metrics metrics;
    private final Map<String, CompletableFuture<Task>> waiters = new ConcurrentHashMap<>();

    public TaskService(Sql sql, Clock clock, Supplier<Catalog> catalog, Ledger ledger, MediaStore media, MediaLinks links,
                       SafeFetcher fetcher, Jobs jobs, Metrics metrics, Config config) {
        this.sql = sql;
        this.clock = clock;
        this.catalog = catalog;
        this.ledger = ledger;
        this.media = media;
        this.links = links;
        this.fetcher = fetcher;
        this.jobs = jobs;
        this.config = config;
        this.metrics = metrics;
        this.callbacks = new Callbacks(sql, clock, fetcher, this);
        jobs.step(JOB, this::step);
        jobs.step(CALLBACK_JOB, callbacks::deliver);
    }

    // ---------------------------------------------------------------- submission

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
            throw ApiException.badRequest("model", "model is required");
        }
        Catalog.Model model = catalog.get().model(modelName).orElseThrow(() -> new ApiException(404, "model_not_found",
                "The model '" + modelName + "' does not exist", "model", null));
        if (!kinds(path).contains(model.spec().kind())) {
            throw ApiException.badRequest("model", "'" + modelName + "' is a " + model.spec().kind().wireName()
                    + " model and cannot be used with " + path + " generations");
        }
        if (!key.allows(modelName)) {
            throw new ApiException(403, "model_not_allowed", "this API key may not use the model '" + modelName + "'", "model", null);
        }
        String callbackUrl = callbackUrl(body);
        TaskParams params = TaskParams.validate(model.spec(), body, ignored);
        long holdAmount = model.spec().price().cost(params.quantity(), model.markupBasisPoints());
        if (holdAmount > Price.MAX_HOLD_MICROS) {
            throw ApiException.badRequest(null, "this task could cost more than " + Price.MAX_HOLD_MICROS + " micro-credits");
        }
        Duration timeout = model.spec().timeoutSeconds() != null ? Duration.ofSeconds(model.spec().timeoutSeconds()) : config.defaultTimeout;

        String id = "task_" + UUID.randomUUID().toString().replace("-", "");
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

        // Long enough for the task, its copies and its retries: the sweep must not void a live task's hold.
        Duration holdTtl = timeout.plus(config.rehostValidity).plusHours(1);
        Hold hold;
        try {
            hold = ledger.hold(key, holdAmount, holdTtl).join();
        } catch (java.util.concurrent.CompletionException e) {
            if (e.getCause() instanceof InsufficientCreditsException ice) {
                throw new ApiException(402, "insufficient_credits", ice.getMessage()
                        + (ice.keyLimit() ? "" : "; this task may cost up to " + holdAmount + " micro-credits"), null, null);
            }
            throw e;
        }
        long now = clock.millis();
        sql.update("""
                INSERT INTO apimodels_task (id, account_id, key_id, kind, model, state, input, callback_url, base_url, hold_id,
                                  hold_amount, created_at, updated_at, deadline_at, callback_state)
                VALUES (?, ?, ?, ?, ?, 'submitting', ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
                id, key.accountId(), key.id(), model.spec().kind().wireName(), modelName, Json.string(input), callbackUrl,
                requestBase, hold.id(), holdAmount, now, now, now + timeout.toMillis(), callbackUrl == null ? null : "waiting");
        // If this node dies before the provider answers, the job fails the task and frees the hold.
        jobs.schedule(JOB, id, Instant.ofEpochMilli(now).plus(submitGrace(model)));

        TaskRequest request = new TaskRequest(operation(model.spec().kind()), null, input, inputs, null);
        ProviderException last = null;
        for (Catalog.Target target : Catalog.attemptOrder(model)) {
            TaskRequest attempt = new TaskRequest(request.operation(), target.route().upstreamModel(), input, inputs,
                    webhookUrl(requestBase, target.provider().id(), id));
            TaskUpdate update;
            try {
                update = target.client().submit(attempt).get(target.provider().timeoutSeconds(), TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                last = new ProviderException(ProviderException.Kind.NETWORK, "interrupted", e);
                break;
            } catch (TimeoutException e) {
                last = new ProviderException(ProviderException.Kind.TIMEOUT, "the provider did not accept the task in time", e);
                continue;
            } catch (ExecutionException e) {
                last = Relay.providerFailure(e.getCause());
                if (last.kind().retryable()) {
                    continue;
                }
                break;
            }
            int changed = sql.update("""
                    UPDATE apimodels_task SET state = 'running', provider = ?, upstream_model = ?, upstream_id = ?, updated_at = ?
                    WHERE id = ? AND state = 'submitting'""", target.provider().id(), target.route().upstreamModel(),
                    update.upstreamId(), clock.millis(), id);
            if (changed == 0) {
                // The job gave up on this task meanwhile; the upstream's work is not wanted.
                if (update.upstreamId() != null) {
                    target.client().cancel(update.upstreamId());
                }
                throw new ApiException(504, "upstream_timeout", "the provider did not accept the task in time");
            }
            Task task = load(id).orElseThrow();
            if (update.state().terminal()) {
                apply(task, update);
            } else {
                jobs.schedule(JOB, id, clock.instant().plus(config.pollInitial));
            }
            return load(id).orElseThrow();
        }
        ProviderException failure = last != null ? last
                : new ProviderException(ProviderException.Kind.UPSTREAM_CONFIG, "no route serves this model", null);
        fail(load(id).orElseThrow(), failure.getMessage(), statusOf(failure));
        throw Relay.toApi(failure);
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
            throw ApiException.badRequest(field, field + " must be an http(s) URL of at most 2000 characters");
        }
        try {
            fetcher.check(URI.create(s.trim()));
        } catch (FetchException e) {
            throw ApiException.badRequest(field, field + ": " + e.getMessage());
        } catch (IllegalArgumentException e) {
            throw ApiException.badRequest(field, field + " must be an http(s) URL of at most 2000 characters");
        }
        return s.trim();
    }

    /** A media input: the caller's own upload (by id or by our link), or a URL fetched safely and stored. */
    private MediaObject inputFile(long owner, String field, String url, String taskId, String family) {
        String fileId = url.startsWith("file_") ? url : ourFileId(url);
        MediaObject m;
        if (fileId != null) {
            m = media.owned(owner, fileId).orElseThrow(() -> ApiException.badRequest(field, field + ": no such uploaded file"));
        } else {
            URI uri;
            try {
                uri = URI.create(url);
            } catch (IllegalArgumentException e) {
                throw ApiException.badRequest(field, field + " is not a valid URL");
            }
            try {
                m = media.fetch(owner, "input", uri, config.fetchTimeout, config.inputRetention, taskId);
            } catch (FetchException e) {
                throw ApiException.badRequest(field, field + ": " + e.getMessage());
            } catch (MediaException e) {
                throw MediaApi.toApi(e, field);
            }
        }
        if (family != null && !m.contentType().startsWith(family + "/")) {
            throw new ApiException(415, "unsupported_media_type", field + " must be " + (family.equals("image") ? "an " : "a ")
                    + family + " file, not " + m.contentType(), field, null);
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
        if (!config.providerWebhooks) {
            return null;
        }
        return URI.create(links.base(requestBase) + "/webhooks/providers/" + providerId + "?task=" + taskId);
    }

    private static Operation operation(ModelKind kind) {
        return switch (kind) {
            case IMAGE -> Operation.IMAGES;
            case VIDEO -> Operation.VIDEO;
            case AUDIO -> Operation.AUDIO;
            case SPEECH -> Operation.SPEECH;
            default -> throw new IllegalArgumentException(kind.name());
        };
    }

    private static int statusOf(ProviderException pe) {
        return Relay.toApi(pe).status();
    }

    // ---------------------------------------------------------------- following a task

    /** One run of a task's job: poll, copy outputs, finish. Returns when to run again, or null when done. */
    Instant step(String id) {
        Optional<Task> found = load(id);
        if (found.isEmpty() || found.get().terminal()) {
            return null;
        }
        Task task = found.get();
        long started = clock.millis();
        switch (task.state()) {
            case Task.SUBMITTING -> {
                // The node that took the task stopped before the provider answered.
                fail(task, "the task could not be handed to a provider", 502);
                return null;
            }
            case Task.RUNNING -> {
                if (started > task.deadlineAt()) {
                    clientFor(task).ifPresent(c -> c.cancel(task.upstreamId()));
                    fail(task, "the task did not finish within " + (task.deadlineAt() - task.createdAt()) / 1000 + " seconds", 504);
                    return null;
                }
                Optional<ProviderClient> client = clientFor(task);
                if (client.isEmpty()) {
                    fail(task, "the task's provider is no longer configured", 502);
                    return null;
                }
                TaskUpdate update;
                try {
                    update = client.get().poll(task.upstreamId()).get(60, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return clock.instant();
                } catch (ExecutionException | TimeoutException e) {
                    ProviderException pe = Relay.providerFailure(e instanceof ExecutionException ? e.getCause() : e);
                    if (pe.kind() == ProviderException.Kind.INVALID_REQUEST) {
                        fail(task, "the provider lost the task: " + pe.getMessage(), 502);
                        return null;
                    }
                    LOG.log(System.Logger.Level.DEBUG, "poll of task {0} failed, retrying: {1}", id, pe.getMessage());
                    return nextPoll(task, started);
                }
                if (update.state().terminal()) {
                    apply(task, update);
                    return load(id).filter(t -> !t.terminal()).map(t -> nextRehost(t)).orElse(null);
                }
                sql.update("UPDATE apimodels_task SET polls = polls + 1 WHERE id = ?", id);
                return nextPoll(task, started);
            }
            case Task.REHOSTING -> {
                rehost(task);
                return load(id).filter(t -> !t.terminal()).map(this::nextRehost).orElse(null);
            }
            default -> {
                return null;
            }
        }
    }

    private Instant nextPoll(Task task, long started) {
        // A webhook that arrived while we polled has already moved the task on: look again now.
        Optional<Task> now = load(task.id());
        if (now.isPresent() && (!Task.RUNNING.equals(now.get().state()) || (now.get().wokenAt() != null && now.get().wokenAt() >= started))) {
            return clock.instant();
        }
        double factor = Math.pow(1.5, Math.min(task.polls(), 20));
        long delay = Math.min((long) (config.pollInitial.toMillis() * factor), config.pollMax.toMillis());
        return Instant.ofEpochMilli(Math.min(clock.millis() + delay, task.deadlineAt() + 1));
    }

    private Instant nextRehost(Task task) {
        List<Output> outputs = outputs(task);
        long deadline = outputs.stream().filter(o -> o.mediaId() == null).mapToLong(Output::deadline).min().orElse(clock.millis());
        long retry = clock.millis() + Math.min(config.pollInitial.toMillis() * 2, Math.max(0, (deadline - clock.millis()) / 4));
        return Instant.ofEpochMilli(Math.min(retry, deadline));
    }

    /** A terminal update from the provider (by poll, webhook, or a synchronous submit). */
    private void apply(Task task, TaskUpdate update) {
        if (update.state() != TaskState.SUCCEEDED) {
            String why = update.state() == TaskState.CANCELED ? "the provider cancelled the task"
                    : update.error() == null || update.error().isBlank() ? "the provider could not complete the task" : update.error();
            fail(task, why, 502);
            return;
        }
        long now = clock.millis();
        long fallback = now + config.rehostValidity.toMillis();
        List<Output> outputs = new ArrayList<>();
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
            outputs.add(new Output(o.url().toString(), o.contentType(), deadline, null));
        }
        // Bytes handed over in the answer cannot wait for a later run: store them now.
        for (TaskOutput o : inline) {
            try {
                MediaObject m = media.store(task.accountId(), "output", new ByteArrayInputStream(o.data()), null,
                        media.limits().maxBytes(), config.outputRetention, task.id());
                outputs.add(new Output(null, m.contentType(), now, m.id()));
            } catch (MediaException e) {
                fail(task, "the result could not be stored: " + e.getMessage(), 502);
                return;
            }
        }
        int changed = sql.update("""
                UPDATE apimodels_task SET state = 'rehosting', outputs = ?, usage_doc = ?, updated_at = ?
                WHERE id = ? AND state = 'running'""", Json.string(outputs),
                update.usage() == null ? null : Json.string(update.usage()), now, task.id());
        if (changed == 1) {
            rehost(load(task.id()).orElseThrow());
        }
    }

    /** Copies every output not copied yet; completes the task when all are, fails it when a link ran out. */
    private void rehost(Task task) {
        List<Output> outputs = new ArrayList<>(outputs(task));
        boolean progress = false;
        for (int i = 0; i < outputs.size(); i++) {
            Output o = outputs.get(i);
            if (o.mediaId() != null) {
                continue;
            }
            if (clock.millis() > o.deadline()) {
                fail(task, "the result could not be copied before the provider's link expired", 502);
                return;
            }
            try {
                MediaObject m = media.fetch(task.accountId(), "output", URI.create(o.url()), config.fetchTimeout,
                        config.outputRetention, task.id());
                outputs.set(i, o.withMedia(m.id()));
                progress = true;
            } catch (FetchException e) {
                if ("http_status".equals(e.reason()) && (e.status() == 404 || e.status() == 410 || e.status() == 403)) {
                    fail(task, "the provider's result is gone (" + e.status() + ") and could not be copied", 502);
                    return;
                }
                if ("blocked_address".equals(e.reason()) || "bad_scheme".equals(e.reason()) || "bad_url".equals(e.reason())
                        || "too_large".equals(e.reason())) {
                    fail(task, "the provider's result could not be copied: " + e.getMessage(), 502);
                    return;
                }
                LOG.log(System.Logger.Level.INFO, "copy of a result of task {0} failed, retrying: {1}", task.id(), e.getMessage());
            } catch (MediaException e) {
                if (!"storage_unavailable".equals(e.reason())) {
                    fail(task, "the provider's result is not usable: " + e.getMessage(), 502);
                    return;
                }
                LOG.log(System.Logger.Level.WARNING, "storage refused a result of task {0}, retrying: {1}", task.id(), e.getMessage());
            } catch (StorageException e) {
                LOG.log(System.Logger.Level.WARNING, "storage failed for task {0}, retrying: {1}", task.id(), e.getMessage());
            }
        }
        if (progress) {
            sql.update("UPDATE apimodels_task SET outputs = ?, updated_at = ? WHERE id = ? AND state = 'rehosting'",
                    Json.string(outputs), clock.millis(), task.id());
        }
        if (outputs.stream().allMatch(o -> o.mediaId() != null)) {
            complete(load(task.id()).orElseThrow(), outputs);
        }
    }

    private void complete(Task task, List<Output> outputs) {
        Usage usage = produced(task, outputs.size());
        Catalog.Model model = catalog.get().model(task.model()).orElse(null);
        // Never more than the hold: the client agreed to the worst case, not beyond.
        long cost = model == null ? task.holdAmount()
                : Math.min(task.holdAmount(), model.spec().price().cost(usage, model.markupBasisPoints()));
        String resultIds = String.join(",", outputs.stream().map(Output::mediaId).toList());
        long now = clock.millis();
        int changed = sql.update("""
                UPDATE apimodels_task SET state = 'completed', cost_micros = ?, result_ids = ?, completed_at = ?, updated_at = ?,
                                callback_state = CASE WHEN callback_url IS NULL THEN NULL ELSE 'pending' END
                WHERE id = ? AND state = 'rehosting'""", cost, resultIds, now, now, task.id());
        if (changed == 1) {
            CallRecord record = record(task, 200, null, usage, cost);
            metrics.call(record);
            ledger.find(task.holdId()).ifPresent(hold -> ledger.settle(hold, cost, record));
            finished(task.id());
        }
    }

    /** What was produced: as the provider reported, else the quantity asked for (images: no more than delivered). */
    private Usage produced(Task task, int outputs) {
        Usage asked = requested(task);
        if (task.usage() != null) {
            Usage reported = Json.MAPPER.convertValue(Json.object(task.usage().getBytes(StandardCharsets.UTF_8)), Usage.class);
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
        Map<String, Object> input = Json.object(task.input().getBytes(StandardCharsets.UTF_8));
        try {
            return TaskParams.validate(model.spec(), input, Set.of()).quantity();
        } catch (ApiException e) {
            // The model's parameters changed since submission: charge per delivered output only.
            return new Usage(0, 0, 0, 1, 0, 0);
        }
    }

    /** Ends a task without charging; idempotent (only the first terminal transition counts). */
    void fail(Task task, String message, int status) {
        long now = clock.millis();
        String msg = message.length() > 500 ? message.substring(0, 500) : message;
        int changed = sql.update("""
                UPDATE apimodels_task SET state = 'failed', fail_msg = ?, completed_at = ?, updated_at = ?,
                                callback_state = CASE WHEN callback_url IS NULL THEN NULL ELSE 'pending' END
                WHERE id = ? AND state NOT IN ('completed', 'failed')""", msg, now, now, task.id());
        if (changed == 1) {
            CallRecord record = record(task, status, msg, Usage.NONE, 0);
            metrics.call(record);
            ledger.find(task.holdId()).ifPresent(hold -> ledger.release(hold, record));
            finished(task.id());
        }
    }

    private void finished(String id) {
        Task task = load(id).orElseThrow();
        if (task.callbackUrl() != null) {
            jobs.schedule(CALLBACK_JOB, id, clock.instant());
        }
        CompletableFuture<Task> waiter = waiters.remove(id);
        if (waiter != null) {
            waiter.complete(task);
        }
    }

    private CallRecord record(Task task, int status, String error, Usage usage, long cost) {
        long latency = Math.min(Integer.MAX_VALUE, clock.millis() - task.createdAt());
        return new CallRecord(task.id(), task.accountId(), task.keyId(), task.kind() + "/generations", task.model(),
                task.provider(), task.upstreamModel(), false, status, error, task.createdAt(), (int) latency, 1, usage,
                false, cost);
    }

    private Optional<ProviderClient> clientFor(Task task) {
        return client(task.provider());
    }

    /** The client of a configured provider instance (one serving some model), if any. */
    private Optional<ProviderClient> client(String providerId) {
        return catalog.get().models().stream().flatMap(m -> m.targets().stream())
                .filter(t -> t.provider().id().equals(providerId)).map(Catalog.Target::client).findFirst();
    }

    // ---------------------------------------------------------------- webhooks from providers

    /**
     * A provider's webhook: verified by the provider, then applied to the task it names. Returns
     * false if the provider is unknown.
     */
    boolean webhook(String providerId, InboundWebhook webhook) {
        Optional<ProviderClient> client = client(providerId);
        if (client.isEmpty()) {
            return false;
        }
        Optional<TaskUpdate> update = client.get().parseWebhook(webhook);
        if (update.isEmpty() || update.get().upstreamId() == null) {
            return true;
        }
        Optional<Task> task = sql.one("SELECT * FROM apimodels_task WHERE provider = ? AND upstream_id = ?", Task::row,
                providerId, update.get().upstreamId());
        if (task.isEmpty() || task.get().terminal()) {
            return true; // not ours yet (the submit answer is still on its way) or already done: polling covers it
        }
        if (update.get().state().terminal() && Task.RUNNING.equals(task.get().state())) {
            apply(task.get(), update.get());
        }
        sql.update("UPDATE apimodels_task SET woken_at = ? WHERE id = ?", clock.millis(), task.get().id());
        if (!load(task.get().id()).map(Task::terminal).orElse(true)) {
            jobs.schedule(JOB, task.get().id(), clock.instant());
        }
        return true;
    }

    // ---------------------------------------------------------------- reading

    Optional<Task> load(String id) {
        return sql.one("SELECT * FROM apimodels_task WHERE id = ?", Task::row, id);
    }

    /** A task of this account (empty for anyone else's). */
    Optional<Task> owned(long accountId, String id) {
        return load(id).filter(t -> t.accountId() == accountId);
    }

    /** Completes when the task reaches a terminal state, here or on another node (checked every second). */
    CompletableFuture<Task> awaitTerminal(String id, java.util.concurrent.ScheduledExecutorService timer, Duration max) {
        CompletableFuture<Task> f = waiters.computeIfAbsent(id, k -> new CompletableFuture<>());
        Optional<Task> now = load(id);
        if (now.isPresent() && now.get().terminal()) {
            waiters.remove(id);
            f.complete(now.get());
            return f;
        }
        var check = timer.scheduleWithFixedDelay(() -> load(id).filter(Task::terminal).ifPresent(t -> {
            waiters.remove(id);
            f.complete(t);
        }), 1, 1, TimeUnit.SECONDS);
        f.whenComplete((t, e) -> check.cancel(false));
        return f.orTimeout(max.toMillis(), TimeUnit.MILLISECONDS);
    }

    List<Output> outputs(Task task) {
        if (task.outputs() == null) {
            return List.of();
        }
        try {
            return Json.MAPPER.readValue(task.outputs(), OUTPUTS);
        } catch (java.io.IOException e) {
            throw new IllegalStateException("unreadable outputs of task " + task.id(), e);
        }
    }

    /** apimodels.app's task view: {@code {taskId, state, resultUrls, createTime, completeTime, failMsg}}. */
    Map<String, Object> view(Task task) {
        Map<String, Object> v = new LinkedHashMap<>();
        v.put("taskId", task.id());
        v.put("model", task.model());
        v.put("state", task.publicState());
        List<String> urls = new ArrayList<>();
        if (Task.COMPLETED.equals(task.state()) && task.resultIds() != null) {
            for (String id : task.resultIds().split(",")) {
                urls.add(links.url(task.baseUrl(), id));
            }
        }
        v.put("resultUrls", urls);
        v.put("createTime", task.createdAt());
        v.put("completeTime", task.completedAt());
        v.put("failMsg", task.failMsg());
        return v;
    }

    MediaStore media() {
        return media;
    }

    Callbacks callbacks() {
        return callbacks;
    }
}
