package app.apimodels.core.tasks;

import app.apimodels.core.media.MediaApi;
import app.apimodels.core.media.MediaObject;
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
    private final ScheduledExecutorService timer;
    private final Duration syncWait;

    public TaskApi(TaskService tasks, ScheduledExecutorService timer, Duration syncWait) {
        this.tasks = tasks;
        this.timer = timer;
        this.syncWait = syncWait;
    }

    public void submit(Request r) {
        String path = r.param("kind");
        if (TaskService.kinds(path).isEmpty()) {
            throw ApiException.notFound("endpoint");
        }
        Task task = tasks.submit(r.caller().key(), path, r.jsonBody(), r.exchange().baseUrl(), Set.of());
        Map<String, Object> data = new LinkedHashMap<>();
        data.put("taskId", task.id());
        data.put("state", task.publicState());
        if (task.terminal()) {
            data.putAll(tasks.view(task));
        }
        r.json(200, MediaApi.envelope(data));
    }

    public void get(Request r) {
        String path = r.param("kind");
        String id = r.exchange().query("task_id");
        if (id == null || id.isBlank()) {
            throw ApiException.badRequest("task_id", "task_id is required");
        }
        Task task = tasks.owned(r.caller().accountId(), id.trim())
                .filter(t -> TaskService.kinds(path).stream().anyMatch(k -> k.wireName().equals(t.kind())))
                .orElseThrow(() -> ApiException.notFound("task"));
        r.json(200, MediaApi.envelope(tasks.view(task)));
    }

    /** OpenAI's synchronous image endpoint, over the same tasks: waits for the result. */
    public void openAiImages(Request r) {
        Map<String, Object> body = r.jsonBody();
        Object format = body.getOrDefault("response_format", "url");
        if (!"url".equals(format) && !"b64_json".equals(format)) {
            throw ApiException.badRequest("response_format", "response_format must be url or b64_json");
        }
        Task submitted = tasks.submit(r.caller().key(), "images", body, r.exchange().baseUrl(), OPENAI_ONLY);
        whenCompleted(r, submitted, "image", task -> r.json(200, openAiAnswer(task, "b64_json".equals(format), r.exchange())));
    }

    /**
     * Answers with {@code answer} once the task completed; with an OpenAI-style error if it failed,
     * is still running after the wait ({@code 504}, naming where to fetch it later) or its result
     * cannot be read.
     */
    private void whenCompleted(Request r, Task submitted, String what, java.util.function.Consumer<Task> answer) {
        tasks.awaitTerminal(submitted.id(), timer, syncWait).whenComplete((task, err) -> {
            ApiException failure;
            if (err != null) {
                Throwable cause = err instanceof CompletionException && err.getCause() != null ? err.getCause() : err;
                failure = cause instanceof TimeoutException
                        ? new ApiException(504, "upstream_timeout", "the " + what + " is still being generated; fetch it later with GET "
                        + "/api/v1/" + (what.equals("image") ? "images" : "audio") + "/generations?task_id=" + submitted.id())
                        : new ApiException(500, "internal_error", "internal error");
            } else if (!"completed".equals(task.state())) {
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
        Task submitted = tasks.submit(r.caller().key(), "audio", body, r.exchange().baseUrl(), Set.of("stream_format"));
        whenCompleted(r, submitted, "speech", task -> {
            MediaObject audio = tasks.media().find(task.resultIds().split(",")[0]).orElseThrow(() -> ApiException.notFound("file"));
            var content = tasks.media().open(audio, 0, -1);
            r.exchange().respond(200, audio.contentType(), Map.of("X-Apimodels-Task", task.id()), content.stream(), content.length());
        });
    }

    private Map<String, Object> openAiAnswer(Task task, boolean base64, Exchange ex) {
        List<Map<String, Object>> data = new ArrayList<>();
        Map<String, Object> view = tasks.view(task);
        @SuppressWarnings("unchecked") List<String> urls = (List<String>) view.get("resultUrls");
        String[] ids = task.resultIds().split(",");
        for (int i = 0; i < ids.length; i++) {
            Map<String, Object> item = new LinkedHashMap<>();
            if (base64) {
                MediaObject m = tasks.media().find(ids[i]).orElseThrow(() -> ApiException.notFound("file"));
                try (InputStream in = tasks.media().open(m, 0, -1).stream()) {
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

    /** {@code POST /webhooks/providers/{id}}: verified by the provider; 401 when not genuine. */
    public void providerWebhook(Request r) {
        Exchange ex = r.exchange();
        // The whole URL, query included: some providers put their own routing data in it (fal's app id).
        URI url = URI.create(ex.baseUrl() + ex.path() + (ex.rawQuery() == null ? "" : "?" + ex.rawQuery()));
        boolean known;
        try {
            known = tasks.webhook(r.param("id"), new InboundWebhook(url, ex.headers(), ex.body()));
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
        String secret = tasks.callbacks().secret(r.caller().accountId(), rotate);
        r.json(200, Map.of("webhook_secret", secret, "header", Callbacks.HEADER,
                "scheme", "t=<unix seconds>,v1=<hex HMAC-SHA256(webhook_secret, t + \".\" + body)>"));
    }
}
