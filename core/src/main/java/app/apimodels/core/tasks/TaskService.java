package app.apimodels.core.tasks;

import app.apimodels.core.catalog.Catalog;
import app.apimodels.core.catalog.ModelAccess;
import app.apimodels.core.routing.Routing;
import app.apimodels.core.db.Sql;
import app.apimodels.core.fetch.SafeFetcher;
import app.apimodels.core.jobs.Jobs;
import app.apimodels.core.ledger.Ledger;
import app.apimodels.core.media.MediaLinks;
import app.apimodels.core.media.MediaStore;
import app.apimodels.core.metrics.Metrics;
import app.apimodels.spi.trace.CallTracer;

import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.function.Supplier;

/**
 * Generation tasks, from submission to a terminal state, put together: {@link TaskSubmission}
 * starts them, {@link TaskRunner} follows them to the end as durable jobs ({@link #JOB}),
 * {@link TaskViews} shows them, {@link Callbacks} tells the client's URL ({@link #CALLBACK_JOB}).
 */
public final class TaskService {

    public static final String JOB = "task";
    public static final String CALLBACK_JOB = "task-callback";

    /**
     * Settings.
     *
     * @param outputRetention how long generated files are kept, or null for ever
     */
    public record Config(Duration defaultTimeout, Duration pollInitial, Duration pollMax, Duration rehostValidity,
                         Duration inputRetention, Duration outputRetention, Duration fetchTimeout,
                         boolean providerWebhooks) {
    }

    private final TaskSubmission submission;
    private final TaskRunner runner;
    private final TaskViews views;
    private final Callbacks callbacks;
    private final MediaStore media;
    private final TaskStore store;
    private final MediaLinks links;

    public TaskService(Sql sql, Clock clock, Supplier<Catalog> catalog, Routing routing, Ledger ledger, MediaStore media, MediaLinks links,
                       SafeFetcher fetcher, Jobs jobs, Metrics metrics, CallTracer tracer, Config config) {
        this.store = new TaskStore(sql);
        this.links = links;
        this.media = media;
        this.views = new TaskViews(store, links);
        this.runner = new TaskRunner(store, views, clock, catalog, ledger, media, jobs, metrics, tracer, config);
        this.submission = new TaskSubmission(store, runner, clock, new ModelAccess(catalog), routing, ledger, media, links, fetcher,
                jobs, tracer, config);
        this.callbacks = new Callbacks(sql, store, clock, fetcher, views);
        jobs.step(JOB, runner::step);
        jobs.step(CALLBACK_JOB, callbacks::deliver);
    }

    /** This account's tasks, newest first (created before {@code before}, epoch ms, when given). */
    public List<TaskSummary> list(long accountId, int limit, Long before) {
        // A task whose hold is still ending is listed as pending: its outcome shows with its money.
        return store.byAccount(accountId, limit, before).stream().map(t -> t.terminal()
                ? new TaskSummary(t.id(), t.kind().wireName(), t.model(), t.publicState(), prompt(t), t.costMicros(), t.createdAt(),
                t.completedAt(), t.failMsg(), t.resultIds().stream().flatMap(id -> media.find(id).stream()).toList())
                : new TaskSummary(t.id(), t.kind().wireName(), t.model(), t.publicState(), prompt(t), null, t.createdAt(),
                null, null, List.of())).toList();
    }

    private static String prompt(Task t) {
        return t.input().get("prompt") instanceof String p ? p : null;
    }

    TaskSubmission submission() {
        return submission;
    }

    TaskRunner runner() {
        return runner;
    }

    TaskViews views() {
        return views;
    }

    Callbacks callbacks() {
        return callbacks;
    }

    /** Signs links to stored files ({@code /media/{id}?expires=&signature=}). */
    public MediaLinks links() {
        return links;
    }

    MediaStore media() {
        return media;
    }
}
