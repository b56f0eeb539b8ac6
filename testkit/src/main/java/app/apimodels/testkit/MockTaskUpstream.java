package app.apimodels.testkit;

import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.client.ResponseDefinitionBuilder;
import com.github.tomakehurst.wiremock.common.Json;
import com.github.tomakehurst.wiremock.verification.LoggedRequest;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.any;
import static com.github.tomakehurst.wiremock.client.WireMock.anyUrl;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;

/**
 * What the asynchronous-generation mocks share: a WireMock server whose one catch-all stub is
 * answered by the subclass from scripted task state, the output files served on the same port,
 * the script settings and the recorded submissions. Stubs a test adds itself with a higher
 * priority (a lower number than {@value #ROUTER_PRIORITY}) are served instead. Only this package
 * extends it ({@link MockReplicateUpstream}, {@link MockFalUpstream}); it is public so that
 * {@link TaskProviderContract} can run against either.
 */
public abstract class MockTaskUpstream<M extends MockTaskUpstream<M>> implements AutoCloseable {

    /** Where a task stands in the mock. */
    enum State { PENDING, SUCCEEDED, FAILED, CANCELED }

    /** One submitted task, with the script it was created under. */
    static final class Task {
        final String id;
        final String model;
        final Map<String, Object> input;
        final URI webhookUrl;
        final int pendingPolls;
        final List<String> outputTypes;
        final String failure;
        final Instant createdAt;
        int polls;
        State state = State.PENDING;
        Instant completedAt;

        private Task(String id, String model, Map<String, Object> input, URI webhookUrl, int pendingPolls,
                     List<String> outputTypes, String failure, Instant createdAt) {
            this.id = id;
            this.model = model;
            this.input = input;
            this.webhookUrl = webhookUrl;
            this.pendingPolls = pendingPolls;
            this.outputTypes = outputTypes;
            this.failure = failure;
            this.createdAt = createdAt;
        }
    }

    static final int ROUTER_PRIORITY = 10;
    private static final String FILES = "/files/";
    private static final DateTimeFormatter AMZ_DATE =
            DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'").withZone(ZoneOffset.UTC);

    final WireMockServer server;
    private final String routerName;
    private final Map<String, Task> tasks = new LinkedHashMap<>();
    private int pendingPolls;
    private List<String> outputTypes;
    private String failure;
    private Duration delay;
    private Integer errorStatus;
    private String errorMessage;
    private String errorField;
    private Duration urlValidity;
    private boolean outputsDeleted;

    MockTaskUpstream(String routerName) {
        this.routerName = routerName;
        server = new WireMockServer(options().dynamicPort().gzipDisabled(true).extensions(new WireMockRouter(routerName, this::route)));
        server.start();
        reset();
    }

    // ---- what subclasses provide ------------------------------------------------------------

    /** The API root to configure as the provider's base URL. */
    public abstract String baseUrl();

    abstract M self();

    abstract String newId();

    /** The answer to an API call (anything but an output file). */
    abstract ResponseDefinitionBuilder answer(LoggedRequest request, String path);

    /** An error in the vendor's shape. */
    abstract ResponseDefinitionBuilder error(int status, String message, String field);

    /** The body of the webhook the vendor posts when {@code task} has finished. */
    abstract byte[] webhookBody(Task task);

    /** The signature headers for {@code body}, with the genuine key or with one the client does not know. */
    abstract Map<String, String> signatureHeaders(Task task, byte[] body, Instant signedAt, boolean genuine);

    // ---- the script ---------------------------------------------------------------------------

    /**
     * How many status polls of a task answer that it is still queued or running before the one
     * that finds it finished (default 1). Applies to tasks submitted from now on.
     */
    public synchronized M pendingPolls(int polls) {
        if (polls < 0) {
            throw new IllegalArgumentException("polls must not be negative");
        }
        pendingPolls = polls;
        return self();
    }

    /**
     * Tasks submitted from now on succeed with {@code count} files of {@code contentType}
     * (default one {@code image/png}); see {@link MockMedia} for their bytes.
     */
    public synchronized M outputs(String contentType, int count) {
        if (count < 1) {
            throw new IllegalArgumentException("a succeeding task has at least one output");
        }
        outputTypes = Collections.nCopies(count, contentType);
        failure = null;
        return self();
    }

    /** Tasks submitted from now on fail at the upstream with this error. */
    public synchronized M failWith(String error) {
        failure = error;
        return self();
    }

    /** Answers every API call (not the output files) with {@code status} and an error in the vendor's shape. */
    public M respondWithError(int status) {
        return respondWithError(status, "mock upstream error " + status, null);
    }

    /**
     * Answers every API call (not the output files) with {@code status} and an error in the
     * vendor's shape carrying {@code message} and, for validation errors, the input {@code field}.
     * A 429 or 503 also carries {@code Retry-After: 1}.
     */
    public synchronized M respondWithError(int status, String message, String field) {
        errorStatus = status;
        errorMessage = message;
        errorField = field;
        return self();
    }

    /** Delays every answer by {@code delay}. */
    public synchronized M delayResponses(Duration delay) {
        this.delay = delay;
        return self();
    }

    /**
     * Output URLs of tasks finishing from now on carry S3-style presigned parameters
     * ({@code X-Amz-Date}, {@code X-Amz-Expires}) saying they are valid for {@code validity}
     * from completion. The files are served regardless; {@link #deleteOutputs()} makes them fail.
     */
    public synchronized M signOutputUrls(Duration validity) {
        urlValidity = validity;
        return self();
    }

    /** From now on every output file answers 404, as after the upstream removed it. */
    public synchronized M deleteOutputs() {
        outputsDeleted = true;
        return self();
    }

    /** Back to the defaults; forgets all tasks and the requests received. */
    public synchronized void reset() {
        pendingPolls = 1;
        outputTypes = List.of("image/png");
        failure = null;
        delay = Duration.ZERO;
        errorStatus = null;
        urlValidity = null;
        outputsDeleted = false;
        tasks.clear();
        server.resetAll();
        server.stubFor(any(anyUrl()).atPriority(ROUTER_PRIORITY).willReturn(aResponse().withTransformers(routerName)));
    }

    // ---- what tests read ----------------------------------------------------------------------

    /** The underlying server, for verifying requests or adding stubs of higher priority. */
    public WireMockServer server() {
        return server;
    }

    /** The tasks submitted since the last reset, oldest first. */
    public synchronized List<MockSubmission> submissions() {
        List<MockSubmission> result = new ArrayList<>();
        tasks.values().forEach(task -> result.add(new MockSubmission(task.id, task.model, task.input, task.webhookUrl)));
        return result;
    }

    /**
     * The webhook the upstream posts when task {@code id} finishes, signed now. The task finishes
     * first if it had not (as scripted: succeeded or failed), so polls agree with the webhook.
     */
    public MockWebhook webhook(String id) {
        return webhook(id, Instant.now());
    }

    /** As {@link #webhook(String)}, signed with the timestamp {@code signedAt}. */
    public synchronized MockWebhook webhook(String id, Instant signedAt) {
        return signedWebhook(id, signedAt, true);
    }

    /** As {@link #webhook(String)}, but signed with a key the upstream does not own. */
    public synchronized MockWebhook badlySignedWebhook(String id) {
        return signedWebhook(id, Instant.now(), false);
    }

    @Override
    public void close() {
        server.stop();
    }

    // ---- for subclasses -----------------------------------------------------------------------

    synchronized Task create(String model, Map<String, Object> input, URI webhookUrl) {
        Task task = new Task(newId(), model, input, webhookUrl, pendingPolls, outputTypes, failure, Instant.now());
        tasks.put(task.id, task);
        return task;
    }

    synchronized Task task(String id) {
        return tasks.get(id);
    }

    /** Counts a status poll; the one after the scripted pending polls finishes the task. */
    synchronized void poll(Task task) {
        if (task.state == State.PENDING && ++task.polls > task.pendingPolls) {
            finish(task);
        }
    }

    synchronized void cancel(Task task) {
        if (task.state == State.PENDING) {
            task.state = State.CANCELED;
            task.completedAt = Instant.now();
        }
    }

    /** The URLs of a succeeded task's files on this server. */
    synchronized List<String> outputUrls(Task task) {
        List<String> urls = new ArrayList<>();
        for (int i = 0; i < task.outputTypes.size(); i++) {
            String url = server.baseUrl() + FILES + task.id + "/out-" + i + "." + MockMedia.extension(task.outputTypes.get(i));
            urls.add(urlValidity == null ? url : url + "?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Date="
                    + AMZ_DATE.format(task.completedAt) + "&X-Amz-Expires=" + urlValidity.toSeconds()
                    + "&X-Amz-Signature=" + "5e".repeat(32));
        }
        return urls;
    }

    static ResponseDefinitionBuilder json(int status, Object body) {
        return aResponse().withStatus(status).withHeader("Content-Type", "application/json").withBody(Json.toByteArray(body));
    }

    static String iso(Instant instant) {
        return instant == null ? null : DateTimeFormatter.ISO_INSTANT.format(instant);
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> jsonObject(byte[] body) {
        try {
            Object value = Json.read(body, Object.class);
            return value instanceof Map<?, ?> map ? (Map<String, Object>) map : null;
        } catch (Exception e) {
            return null;
        }
    }

    // ---- internals ----------------------------------------------------------------------------

    private void finish(Task task) {
        task.state = task.failure == null ? State.SUCCEEDED : State.FAILED;
        task.completedAt = Instant.now();
    }

    private MockWebhook signedWebhook(String id, Instant signedAt, boolean genuine) {
        Task task = tasks.get(id);
        if (task == null) {
            throw new IllegalArgumentException("no task " + id);
        }
        // A forgery claims the task ended but does not end it upstream: a client polling after it was
        // refused must still find the task running.
        boolean forgedEnd = !genuine && task.state == State.PENDING;
        if (task.state == State.PENDING) {
            finish(task);
        }
        byte[] body = webhookBody(task);
        Map<String, String> headers = new LinkedHashMap<>(signatureHeaders(task, body, signedAt, genuine));
        if (forgedEnd) {
            task.state = State.PENDING;
            task.completedAt = null;
        }
        headers.put("Content-Type", "application/json");
        return new MockWebhook(task.webhookUrl, headers, body);
    }

    private synchronized ResponseDefinitionBuilder route(LoggedRequest request) {
        String path = URI.create(request.getUrl()).getRawPath();
        ResponseDefinitionBuilder response;
        if (path.startsWith(FILES)) {
            response = file(path.substring(FILES.length()));
        } else if (errorStatus != null) {
            response = error(errorStatus, errorMessage, errorField);
            if (errorStatus == 429 || errorStatus == 503) {
                response.withHeader("Retry-After", "1");
            }
        } else {
            response = answer(request, path);
        }
        return delay.isZero() ? response : response.withFixedDelay((int) delay.toMillis());
    }

    /** {@code <task id>/out-<index>.<extension>} */
    private ResponseDefinitionBuilder file(String name) {
        int slash = name.indexOf('/');
        Task task = slash < 0 ? null : tasks.get(name.substring(0, slash));
        if (outputsDeleted || task == null || task.state != State.SUCCEEDED) {
            return aResponse().withStatus(404).withHeader("Content-Type", "text/plain").withBody("Not Found");
        }
        String file = name.substring(slash + 1);
        int index;
        try {
            index = Integer.parseInt(file.substring("out-".length(), file.indexOf('.')));
        } catch (RuntimeException e) {
            index = -1;
        }
        if (index < 0 || index >= task.outputTypes.size()) {
            return aResponse().withStatus(404).withHeader("Content-Type", "text/plain").withBody("Not Found");
        }
        String type = task.outputTypes.get(index);
        return aResponse().withStatus(200).withHeader("Content-Type", type).withBody(MockMedia.sample(type));
    }

    static byte[] utf8(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }
}
