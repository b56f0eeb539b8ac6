package app.apimodels.core.tasks;

import app.apimodels.core.api.Params;
import app.apimodels.core.limits.AbuseLimits;
import app.apimodels.core.limits.Permit;
import app.apimodels.core.media.MediaApi;
import app.apimodels.core.media.MediaObject;
import app.apimodels.core.media.MediaStore;
import app.apimodels.core.web.ApiException;
import app.apimodels.spi.web.Exchange;
import app.apimodels.core.web.Request;
import app.apimodels.spi.web.Response;
import app.apimodels.spi.webhook.InboundWebhook;
import app.apimodels.spi.webhook.WebhookVerificationException;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeoutException;

/**
 * The task endpoints: apimodels.app's {@code POST|GET /api/v1/{images|video|audio}/generations},
 * OpenAI's {@code POST /v1/images/generations}, providers' webhooks, and the account's callback
 * signing secret.
 */
public final class TaskApi {

    /** OpenAI request fields that shape the answer, not the generation. */
    private static final Set<String> OPENAI_ONLY = Set.of("response_format", "user", "stream");

    private final TaskService tasks;
    private final TaskSubmission submission;
    private final TaskViews views;
    private final TaskRunner runner;
    private final Callbacks callbacks;
    private final MediaStore media;
    private final ScheduledExecutorService timer;
    private final Duration syncWait;
    private final AbuseLimits limits;

    public TaskApi(TaskService tasks, ScheduledExecutorService timer, Duration syncWait, AbuseLimits limits) {
        this.limits = limits;
        this.tasks = tasks;
        this.submission = tasks.submission();
        this.views = tasks.views();
        this.runner = tasks.runner();
        this.callbacks = tasks.callbacks();
        this.media = tasks.media();
        this.timer = timer;
        this.syncWait = syncWait;
    }

    public void submit(Request r) {
        String path = r.param("kind");
        if (TaskSubmission.kinds(path).isEmpty()) {
            throw ApiException.notFound("endpoint");
        }
        Task task = submit(r, path, r.jsonBody(), Set.of());
        Map<String, Object> data = new LinkedHashMap<>();
        data.put("taskId", task.id());
        data.put("state", task.publicState());
        if (task.terminal()) {
            data.putAll(views.view(task));
        }
        r.json(200, MediaApi.envelope(data));
    }

    /**
     * Submits a task under the caller's abuse limits: it counts as a running call while it is
     * submitted (a task's own run afterwards is bounded by its hold, not by these limits).
     */
    private Task submit(Request r, String kind, Map<String, Object> body, Set<String> ignored) {
        Permit permit = limits.call(r.caller(), r.exchange(), 0);
        try {
            return submission.submit(r.caller().key(), kind, body, r.exchange().baseUrl(), ignored);
        } finally {
            permit.end(0);
        }
    }

    public void get(Request r) {
        String path = r.param("kind");
        String id = r.exchange().query("task_id");
        if (id == null || id.isBlank()) {
            throw ApiException.badRequest("task_id", "task_id is required");
        }
        Task task = views.owned(r.caller().accountId(), id.trim())
                .filter(t -> TaskSubmission.kinds(path).contains(t.kind()))
                .orElseThrow(() -> ApiException.notFound("task"));
        r.json(200, MediaApi.envelope(views.view(task)));
    }

    /** {@code GET /api/v1/account/tasks}: the caller's tasks, newest first ({@code limit}, {@code before}), with signed links to their files. */
    public void list(Request r) {
        var ex = r.exchange();
        List<Map<String, Object>> data = new ArrayList<>();
        for (TaskSummary t : tasks.list(r.caller().accountId(), Params.limit(ex.query("limit")), Params.queryLong(ex.query("before"), "before"))) {
            Map<String, Object> v = new LinkedHashMap<>();
            v.put("taskId", t.id());
            v.put("kind", t.kind());
            v.put("model", t.model());
            v.put("state", t.state());
            v.put("prompt", t.prompt());
            v.put("cost_micros", t.costMicros());
            v.put("createTime", t.createdAt());
            v.put("completeTime", t.completedAt());
            v.put("failMsg", t.failMsg());
            v.put("files", t.files().stream().map(m -> MediaApi.view(m, tasks.links().url(ex.baseUrl(), m.id()))).toList());
            data.add(v);
        }
        r.json(200, Map.of("object", "list", "data", data));
    }

    /** OpenAI's synchronous image endpoint, over the same tasks: waits for the result. */
    public void openAiImages(Request r) {
        Map<String, Object> body = r.jsonBody();
        Object format = body.getOrDefault("response_format", "url");
        if (!"url".equals(format) && !"b64_json".equals(format)) {
            throw ApiException.badRequest("response_format", "response_format must be url or b64_json");
        }
        Task submitted = submit(r, "images", body, OPENAI_ONLY);
        whenCompleted(r, submitted, "image", task -> r.json(200, openAiAnswer(task, "b64_json".equals(format), r.exchange())));
    }

    /**
     * Answers with {@code answer} once the task completed; with an OpenAI-style error if it failed,
     * is still running after the wait ({@code 504}, naming where to fetch it later) or its result
     * cannot be read.
     */
    private void whenCompleted(Request r, Task submitted, String what, java.util.function.Consumer<Task> answer) {
        views.awaitTerminal(submitted.id(), timer, syncWait).whenComplete((task, err) -> {
            ApiException failure;
            if (err != null) {
                Throwable cause = err instanceof CompletionException && err.getCause() != null ? err.getCause() : err;
                failure = cause instanceof TimeoutException
                        ? new ApiException(504, "upstream_timeout", "the " + what + " is still being generated; fetch it later with GET "
                        + "/api/v1/" + (what.equals("image") ? "images" : "audio") + "/generations?task_id=" + submitted.id())
                        : new ApiException(500, "internal_error", "internal error");
            } else if (task.state() != Task.State.COMPLETED) {
                failure = new ApiException(502, "upstream_error", task.failMsg() == null ? "no " + what + " was generated" : task.failMsg());
            } else {
                try {
                    answer.accept(task);
                    return;
                } catch (ApiException e) {
                    failure = e;
                } catch (RuntimeException e) {
                    failure = new ApiException(503, "storage_unavailable", "the " + what + " cannot be read right now; retry shortly");
                }
            }
            r.exchange().respond(app.apimodels.core.web.ErrorRenderer.render(r.exchange().path(), failure));
        });
    }

    /**
     * OpenAI's {@code POST /v1/audio/speech}: a speech task whose audio is the answer. The text
     * comes as {@code input} (OpenAI) and is the task's {@code prompt}.
     */
    public void openAiSpeech(Request r) {
        Map<String, Object> body = new LinkedHashMap<>(r.jsonBody());
        if (body.containsKey("input") && !body.containsKey("prompt")) {
            body.put("prompt", body.remove("input"));
        }
        Task submitted = submit(r, "audio", body, Set.of("stream_format"));
        whenCompleted(r, submitted, "speech", task -> {
            MediaObject audio = task.resultIds().stream().findFirst().flatMap(media::find)
                    .orElseThrow(() -> ApiException.notFound("file"));
            var content = media.open(audio, 0, -1);
            r.exchange().respond(200, audio.contentType(), Map.of("X-Apimodels-Task", task.id()), content.stream(), content.length());
        });
    }

    private Map<String, Object> openAiAnswer(Task task, boolean base64, Exchange ex) {
        List<Map<String, Object>> data = new ArrayList<>();
        List<String> urls = views.resultUrls(task);
        List<String> ids = task.resultIds();
        for (int i = 0; i < ids.size(); i++) {
            Map<String, Object> item = new LinkedHashMap<>();
            if (base64) {
                MediaObject m = media.find(ids.get(i)).orElseThrow(() -> ApiException.notFound("file"));
                try (InputStream in = media.open(m, 0, -1).stream()) {
                    item.put("b64_json", Base64.getEncoder().encodeToString(in.readAllBytes()));
                } catch (IOException e) {
                    throw new ApiException(503, "storage_unavailable", "the image cannot be read right now; retry shortly");
                }
            } else {
                item.put("url", urls.get(i));
            }
            data.add(item);
        }
        Map<String, Object> answer = new LinkedHashMap<>();
        answer.put("created", task.createdAt() / 1000);
        answer.put("data", data);
        return answer;
    }

    /** {@code POST /webhooks/providers/{id}}: verified by the provider; 401 when not genuine, 503 when this node cannot call the provider. */
    public void providerWebhook(Request r) {
        Exchange ex = r.exchange();
        // The whole URL, query included: some providers put their own routing data in it (fal's app id).
        URI url = URI.create(ex.baseUrl() + ex.path() + (ex.rawQuery() == null ? "" : "?" + ex.rawQuery()));
        boolean known;
        try {
            known = runner.webhook(r.param("id"), new InboundWebhook(url, ex.headers(), ex.body()));
        } catch (WebhookVerificationException e) {
            throw new ApiException(401, "invalid_signature", "webhook not accepted: " + e.getMessage());
        }
        if (!known) {
            throw ApiException.notFound("provider");
        }
        ex.respond(Response.text(200, "application/json", "{\"received\":true}"));
    }

    public void webhookSecret(Request r) {
        boolean rotate = "POST".equals(r.exchange().method());
        String secret = callbacks.secret(r.caller().accountId(), rotate);
        r.json(200, Map.of("webhook_secret", secret, "header", Callbacks.HEADER,
                "scheme", "t=<unix seconds>,v1=<hex HMAC-SHA256(webhook_secret, t + \".\" + body)>"));
    }
}
