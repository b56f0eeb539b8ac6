package app.apimodels.core.jobs;

import app.apimodels.core.config.Keys;
import app.apimodels.core.config.Settings;
import com.github.kagkarlsson.scheduler.Scheduler;
import com.github.kagkarlsson.scheduler.ScheduledExecutionsFilter;
import com.github.kagkarlsson.scheduler.SchedulerName;
import com.github.kagkarlsson.scheduler.exceptions.TaskInstanceCurrentlyExecutingException;
import com.github.kagkarlsson.scheduler.task.CompletionHandler;
import com.github.kagkarlsson.scheduler.task.FailureHandler;
import com.github.kagkarlsson.scheduler.task.Task;
import com.github.kagkarlsson.scheduler.task.TaskInstanceId;
import com.github.kagkarlsson.scheduler.task.helper.CustomTask;
import com.github.kagkarlsson.scheduler.task.helper.RecurringTask;
import com.github.kagkarlsson.scheduler.task.helper.Tasks;
import com.github.kagkarlsson.scheduler.task.schedule.FixedDelay;

import javax.sql.DataSource;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * Durable background work on the engine's own database, safe across a cluster (db-scheduler):
 * a job is a row; one node at a time picks it, a node that dies mid-job has it revived elsewhere
 * once its heartbeats stop, and it survives restarts. Two kinds: <em>steps</em>, one instance per
 * id (a task, a callback), that run until they say they are done; and <em>recurring</em> sweeps.
 * Register everything, then {@link #start()}.
 */
public final class Jobs implements AutoCloseable {

    private static final System.Logger LOG = System.getLogger(Jobs.class.getName());

    /** One run of a step job; answers when to run again, or null when the job is finished. */
    @FunctionalInterface
    public interface Step {
        Instant run(String id) throws Exception;
    }

    private final DataSource dataSource;
    private final Settings settings;
    private final java.time.Clock clock;
    private final Map<String, CustomTask<Void>> steps = new LinkedHashMap<>();
    private final Map<String, Runnable> sweeps = new LinkedHashMap<>();
    private final List<RecurringTask<Void>> recurring = new ArrayList<>();
    private final Duration retryAfterFailure;
    private final String node = nodeName();
    private Scheduler scheduler;

    /** @param clock the engine's clock: job times are computed from it, so the runner must read it too */
    public Jobs(DataSource dataSource, Settings settings, java.time.Clock clock) {
        this.dataSource = dataSource;
        this.settings = settings;
        this.clock = clock;
        this.retryAfterFailure = settings.get(Keys.JOBS_RETRY_AFTER_FAILURE);
    }

    /** Registers a step job type; a run that throws is retried after a delay. */
    public Jobs step(String name, Step step) {
        steps.put(name, Tasks.custom(name, Void.class)
                .onFailure(new FailureHandler.OnFailureRetryLater<>(retryAfterFailure))
                .onDeadExecutionRevive()
                .execute((instance, context) -> {
                    Instant next;
                    try {
                        next = step.run(instance.getId());
                    } catch (RuntimeException e) {
                        throw e;
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                    return next == null
                            ? (CompletionHandler<Void>) (complete, ops) -> ops.remove()
                            : (complete, ops) -> ops.reschedule(complete, next);
                }));
        return this;
    }

    /** Registers a sweep run every {@code every} on one node of the cluster at a time. */
    public Jobs recurring(String name, Duration every, Runnable sweep) {
        sweeps.put(name, sweep);
        recurring.add(Tasks.recurring(name, FixedDelay.of(every))
                .onDeadExecutionRevive()
                .execute((instance, context) -> sweep.run()));
        return this;
    }

    public void start() {
        List<Task<?>> known = new ArrayList<>(steps.values());
        scheduler = Scheduler.create(dataSource, known)
                .startTasks(recurring)
                .tableName("apimodels_jobs")
                .schedulerName(new SchedulerName.Fixed(node))
                .threads(settings.get(Keys.JOBS_THREADS))
                .pollingInterval(settings.get(Keys.JOBS_POLL_INTERVAL))
                .heartbeatInterval(settings.get(Keys.JOBS_HEARTBEAT))
                .missedHeartbeatsLimit(4)
                .shutdownMaxWait(settings.get(Keys.JOBS_SHUTDOWN_WAIT))
                .alwaysPersistTimestampInUTC()
                .clock(clock::instant)
                .enableImmediateExecution()
                .build();
        scheduler.start();
    }

    /** This engine's name among the cluster's nodes (host and a random suffix). */
    public String node() {
        return node;
    }

    private static String nodeName() {
        String host;
        try {
            host = java.net.InetAddress.getLocalHost().getHostName();
        } catch (java.io.IOException e) {
            host = "node";
        }
        // Unique per engine, so two engines in one JVM (or one host) are two nodes.
        String suffix = UUID.randomUUID().toString().substring(0, 8);
        return (host.length() > 40 ? host.substring(0, 40) : host) + "-" + suffix;
    }

    /**
     * Runs step job {@code name} for {@code id} at {@code at}; if it is already scheduled, moves it
     * to {@code at}. A job running right now is left alone (it rereads its state when it ends).
     */
    public void schedule(String name, String id, Instant at) {
        CustomTask<Void> task = steps.get(name);
        if (task == null) {
            throw new IllegalArgumentException("no step job " + name);
        }
        if (!scheduler.scheduleIfNotExists(task.instance(id), at)) {
            try {
                scheduler.reschedule(TaskInstanceId.of(name, id), at);
            } catch (TaskInstanceCurrentlyExecutingException e) {
                LOG.log(System.Logger.Level.DEBUG, "job {0}/{1} is running; it will see the change", name, id);
            }
        }
    }

    /** Runs a recurring sweep now, on this thread (operators, tests). False if there is none by that name. */
    public boolean runNow(String name) {
        Runnable sweep = sweeps.get(name);
        if (sweep == null) {
            return false;
        }
        sweep.run();
        return true;
    }

    /**
     * Where each kind of job stands, from the job table (so every node's runs count): a sweep's
     * next and last runs and its failures in a row; for a step kind, how many are waiting, how many
     * of those failed their last run, and the earliest due. Empty before {@link #start()}.
     */
    public List<Status> report() {
        List<Status> out = new ArrayList<>();
        if (scheduler == null) {
            return out;
        }
        for (String name : sweeps.keySet()) {
            var e = scheduler.getScheduledExecution(TaskInstanceId.of(name, RecurringTask.INSTANCE));
            out.add(e.map(x -> new Status(name, "recurring", 1, x.getExecutionTime(), x.getLastSuccess(), x.getLastFailure(),
                            x.getConsecutiveFailures(), x.isPicked() ? 1 : 0))
                    .orElse(new Status(name, "recurring", 0, null, null, null, 0, 0)));
        }
        for (String name : steps.keySet()) {
            long[] counts = new long[3];
            Instant[] times = new Instant[3];
            scheduler.fetchScheduledExecutionsForTask(name, Void.class, ScheduledExecutionsFilter.all(), x -> {
                counts[0]++;
                counts[1] += x.getConsecutiveFailures() > 0 ? 1 : 0;
                counts[2] += x.isPicked() ? 1 : 0;
                times[0] = earliest(times[0], x.getExecutionTime());
                times[1] = latest(times[1], x.getLastSuccess());
                times[2] = latest(times[2], x.getLastFailure());
            });
            out.add(new Status(name, "step", counts[0], times[0], times[1], times[2], counts[1], counts[2]));
        }
        return out;
    }

    /** How many runs of one job type are due and not picked by any node, and how late the oldest is. */
    public record Backlog(long due, Duration lag) {
        public static final Backlog NONE = new Backlog(0, Duration.ZERO);
    }

    /** Every registered job type, steps and sweeps. */
    public List<String> names() {
        List<String> names = new ArrayList<>(steps.keySet());
        names.addAll(sweeps.keySet());
        return names;
    }

    /** The backlog of each job type that has one now (one query over the cluster's job table). */
    public Map<String, Backlog> backlog() {
        Instant now = clock.instant();
        Map<String, Backlog> out = new LinkedHashMap<>();
        try (var c = dataSource.getConnection();
             var ps = c.prepareStatement("SELECT task_name, COUNT(*), MIN(execution_time) FROM apimodels_jobs"
                     + " WHERE picked = FALSE AND execution_time <= ? GROUP BY task_name")) {
            ps.setObject(1, now.atOffset(java.time.ZoneOffset.UTC));
            try (var rs = ps.executeQuery()) {
                while (rs.next()) {
                    Instant oldest = rs.getObject(3, java.time.OffsetDateTime.class).toInstant();
                    out.put(rs.getString(1), new Backlog(rs.getLong(2), Duration.between(oldest, now)));
                }
            }
        } catch (java.sql.SQLException e) {
            throw new IllegalStateException("cannot read the job backlog", e);
        }
        return out;
    }

    /**
     * One kind of job.
     *
     * @param kind      {@code recurring} (a sweep) or {@code step} (one instance per task, callback…)
     * @param instances scheduled instances (a sweep has one)
     * @param nextRun   when the (earliest) instance is due; null if none is scheduled
     * @param failing   a sweep: its failures in a row; a step kind: instances whose last run failed
     * @param running   instances being run by a node right now
     */
    public record Status(String name, String kind, long instances, Instant nextRun, Instant lastSuccess, Instant lastFailure,
                         long failing, long running) {
    }

    private static Instant earliest(Instant a, Instant b) {
        return a == null || (b != null && b.isBefore(a)) ? b : a;
    }

    private static Instant latest(Instant a, Instant b) {
        return a == null || (b != null && b.isAfter(a)) ? b : a;
    }

    public List<String> sweepNames() {
        return List.copyOf(sweeps.keySet());
    }

    @Override
    public void close() {
        if (scheduler != null) {
            scheduler.stop();
        }
    }
}
