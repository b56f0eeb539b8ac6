package app.apimodels.core.tasks;

import app.apimodels.core.media.MediaLinks;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/** Tasks as the API shows them: a client's own task, its apimodels.app view, and waiting for it to end. */
final class TaskViews {

    private final TaskStore store;
    private final MediaLinks links;
    private final Map<String, CompletableFuture<Task>> waiters = new ConcurrentHashMap<>();

    TaskViews(TaskStore store, MediaLinks links) {
        this.store = store;
        this.links = links;
    }

    /** A task of this account (empty for anyone else's). */
    Optional<Task> owned(long accountId, String id) {
        return store.load(id).filter(t -> t.accountId() == accountId);
    }

    /** apimodels.app's task view: {@code {taskId, state, resultUrls, createTime, completeTime, failMsg}}. */
    Map<String, Object> view(Task task) {
        Map<String, Object> v = new LinkedHashMap<>();
        v.put("taskId", task.id());
        v.put("model", task.model());
        v.put("state", task.publicState());
        v.put("resultUrls", resultUrls(task));
        v.put("createTime", task.createdAt());
        // A task whose outcome is decided but whose hold is still ending shows as pending, and no more.
        v.put("completeTime", task.terminal() ? task.completedAt() : null);
        v.put("failMsg", task.terminal() ? task.failMsg() : null);
        return v;
    }

    /** Our links to a completed task's files, in output order. */
    List<String> resultUrls(Task task) {
        List<String> urls = new ArrayList<>();
        if (task.state() == Task.State.COMPLETED) {
            task.resultIds().forEach(id -> urls.add(links.url(task.baseUrl(), id)));
        }
        return urls;
    }

    /** Completes when the task reaches a terminal state, here or on another node (checked every second). */
    CompletableFuture<Task> awaitTerminal(String id, ScheduledExecutorService timer, Duration max) {
        CompletableFuture<Task> f = waiters.computeIfAbsent(id, k -> new CompletableFuture<>());
        Optional<Task> now = store.load(id);
        if (now.isPresent() && now.get().terminal()) {
            waiters.remove(id);
            f.complete(now.get());
            return f;
        }
        var check = timer.scheduleWithFixedDelay(() -> store.load(id).filter(Task::terminal).ifPresent(t -> {
            waiters.remove(id);
            f.complete(t);
        }), 1, 1, TimeUnit.SECONDS);
        f.whenComplete((t, e) -> check.cancel(false));
        return f.orTimeout(max.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** A task ended on this node: whoever waits for it need not wait for the next check. */
    void ended(Task task) {
        CompletableFuture<Task> waiter = waiters.remove(task.id());
        if (waiter != null) {
            waiter.complete(task);
        }
    }
}
