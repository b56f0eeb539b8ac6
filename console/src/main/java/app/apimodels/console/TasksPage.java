package app.apimodels.console;

import app.apimodels.core.media.MediaObject;
import app.apimodels.core.web.ApiException;
import app.apimodels.core.web.Request;
import app.apimodels.core.web.Router.Access;

import java.util.HashMap;
import java.util.Map;

/**
 * Tasks and files ({@code /console/tasks}): the account's generation tasks with what they cost and
 * their files — images previewed, audio and video in players, each behind its signed link — its
 * other stored files, and deleting a file now.
 */
final class TasksPage implements Section {

    static final int ROWS = 50;

    private Console console;

    @Override
    public void install(Console console) {
        this.console = console;
        console.nav(Nav.Area.PEOPLE, "nav.tasks", "/console/tasks")
                .route("GET", "/console/tasks", Access.ACCOUNT, this::show)
                .route("POST", "/console/files/{id}/delete", Access.ACCOUNT, r -> {
                    MediaObject file = console.services().media().owned(r.caller().accountId(), r.param("id"))
                            .orElseThrow(() -> ApiException.notFound("file"));
                    console.services().media().delete(file);
                    console.redirect(r, "/console/tasks");
                });
    }

    private void show(Request r) {
        long accountId = r.caller().accountId();
        String base = r.exchange().baseUrl();
        Map<String, String> links = new HashMap<>();
        var tasks = console.services().tasks().list(accountId, ROWS, null);
        var files = console.services().media().page(accountId, ROWS, null);
        tasks.forEach(t -> t.files().forEach(f -> links.put(f.id(), console.services().mediaLinks().url(base, f.id()))));
        files.forEach(f -> links.put(f.id(), console.services().mediaLinks().url(base, f.id())));
        Map<String, Object> model = new HashMap<>();
        model.put("tasks", tasks);
        model.put("files", files.stream().filter(f -> f.taskId() == null).toList());
        model.put("links", links);
        console.render(r, 200, "tasks.jte", "tasks.title", model);
    }
}
