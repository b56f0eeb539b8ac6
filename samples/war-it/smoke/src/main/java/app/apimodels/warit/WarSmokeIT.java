package app.apimodels.warit;

import app.apimodels.json.JsonMappers;
import app.apimodels.testkit.MockOpenAiUpstream;
import app.apimodels.warit.ServerBackends.Backends;
import app.apimodels.warit.app.CdiOnlyProvider;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.jboss.arquillian.container.test.api.Deployer;
import org.jboss.arquillian.container.test.api.Deployment;
import org.jboss.arquillian.container.test.api.RunAsClient;
import org.jboss.arquillian.junit5.ArquillianExtension;
import org.jboss.arquillian.test.api.ArquillianResource;
import org.jboss.shrinkwrap.api.ShrinkWrap;
import org.jboss.shrinkwrap.api.asset.StringAsset;
import org.jboss.shrinkwrap.api.spec.WebArchive;
import org.awaitility.core.ConditionTimeoutException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;

import static com.github.tomakehurst.wiremock.client.WireMock.equalTo;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The drop-in WAR on a real server: deployed as a team would (the file, configured by system
 * properties and one MicroProfile Config file), an admin creates a user and a key, one chat
 * completion and one streamed completion go through to a mock upstream, one more through a
 * provider that only CDI knows, the balance is charged exactly, and the WAR undeploys (and, where
 * {@value ServerBackends#REDEPLOY} is set, deploys and serves again). Which server runs it is
 * decided by the Arquillian adapter on the class path and the module's {@code arquillian.xml}.
 */
@ExtendWith({ServerBackends.class, ArquillianExtension.class})
@RunAsClient
public class WarSmokeIT {

    /** The archive name, so also the context path. */
    private static final String WAR = "apimodels";
    /** Set only in the archive's {@code microprofile-config.properties}. */
    private static final String BASE_PATH = "/ai";
    private static final long GRANT_MICROS = 1_000_000;
    private static final int REFUSED = -1;
    private static final Duration UNDEPLOY_DEADLINE = Duration.ofSeconds(60);
    /**
     * How soon after an undeploy the server's JVM must have unloaded every class of the application,
     * with no request in between: seconds, not the minutes a leak would take to be cleared by traffic.
     * A module may allow more ({@value ServerBackends#UNLOAD_SECONDS}) where each look costs more.
     */
    private static final Duration UNLOAD_DEADLINE = Duration.ofSeconds(Long.getLong(ServerBackends.UNLOAD_SECONDS, 15));
    private static final String CHAT = "/v1/chat/completions";
    private static final int BACK_TO_BACK_PAIRS = 200;
    /** The first deployment's calls: three single ones, the pairs, and one in flight at the undeploy. */
    private static final int CALLS_BEFORE_UNDEPLOY = 3 + 2 * BACK_TO_BACK_PAIRS + 1;
    /** Long enough that the undeploy begins while the call waits; the application waits for it to end. */
    private static final Duration IN_FLIGHT_UPSTREAM_DELAY = Duration.ofSeconds(3);
    /** Far above a mock answer's milliseconds, far below the 30 s a lost request would take to notice. */
    private static final Duration BACK_TO_BACK_TIMEOUT = Duration.ofSeconds(10);
    private static final ObjectMapper JSON = JsonMappers.create();

    private final HttpClient http = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5)).build();

    @ArquillianResource
    private Deployer deployer;

    /**
     * Deployed by the test itself, so that undeploying is part of what it checks. To the WAR as built
     * it adds what a team would: a setting in {@code WEB-INF/classes/META-INF/microprofile-config.properties},
     * which only MicroProfile Config reads (without it the API would answer at the context root), and
     * a bean of its own ({@link CdiOnlyProvider}, in {@code WEB-INF/classes}, which the WAR's
     * {@code beans.xml} makes a bean archive; not in {@code META-INF/services}).
     */
    @Deployment(name = WAR, managed = false, testable = false)
    public static WebArchive war() {
        return ShrinkWrap.createFromZipFile(WebArchive.class, new File(System.getProperty(ServerBackends.WAR)))
                .addAsResource(new StringAsset("apimodels.base-path=" + BASE_PATH + "\n"), "META-INF/microprofile-config.properties")
                .addClass(CdiOnlyProvider.class);
    }

    @Test
    void deploysServesChargesExactlyAndUndeploys(Backends backends)
            throws IOException, InterruptedException, ExecutionException, TimeoutException {
        URI application = URI.create("http://localhost:" + backends.httpPort() + "/" + WAR);
        URI base = URI.create(application + BASE_PATH);
        String key;
        CompletableFuture<HttpResponse<String>> inFlight = null;
        deployer.deploy(WAR);
        ServerJvm server = ServerJvm.withArgument(backends.adminKey());
        try {
            assertThat(statusOf(get(base, "/health/ready"))).isEqualTo(200);
            // The base path came from MicroProfile Config: nothing answers where it would be without it.
            assertThat(statusOf(get(application, "/health/ready"))).isEqualTo(404);
            key = newUserWithKey(base, backends.adminKey());
            // The WAR carries the Jetty client; providers that name no transport use it — here inside
            // every server, Jetty 12 included, whose own Jetty classes the application must not meet.
            HttpResponse<String> plugins = send(get(base, "/admin/plugins").header("Authorization", "Bearer " + backends.adminKey()));
            assertThat(JSON.readTree(plugins.body()).path("default_transport").asText()).as(plugins.body()).isEqualTo("jetty");

            assertAnswered(send(post(base, CHAT, key, chat(ServerBackends.MODEL, false))), ServerBackends.MODEL);

            HttpResponse<String> stream = send(post(base, CHAT, key, chat(ServerBackends.MODEL, true)));
            assertThat(stream.statusCode()).as(stream.body()).isEqualTo(200);
            assertThat(stream.headers().firstValue("Content-Type")).hasValueSatisfying(
                    type -> assertThat(type).startsWith("text/event-stream"));
            List<String> events = stream.body().lines()
                    .filter(line -> line.startsWith("data:")).map(line -> line.substring(5).strip()).toList();
            assertThat(events).last().isEqualTo("[DONE]");
            List<JsonNode> chunks = new ArrayList<>();
            for (String event : events.subList(0, events.size() - 1)) {
                chunks.add(JSON.readTree(event));
            }
            StringBuilder text = new StringBuilder();
            chunks.forEach(chunk -> chunk.path("choices").forEach(c -> text.append(c.at("/delta/content").asText(""))));
            assertThat(text).hasToString(MockOpenAiUpstream.COMPLETION_TEXT);
            JsonNode usage = chunks.get(chunks.size() - 1).get("usage");
            assertThat(usage.get("prompt_tokens").asInt()).isEqualTo(11);
            assertThat(usage.get("completion_tokens").asInt()).isEqualTo(5);

            // Only the CDI bean serves this provider type; the mock sees that provider's key.
            assertAnswered(send(post(base, CHAT, key, chat(ServerBackends.CDI_MODEL, false))), ServerBackends.CDI_MODEL);
            backends.upstream().server().verify(1, postRequestedFor(urlEqualTo(CHAT))
                    .withHeader("Authorization", equalTo("Bearer " + ServerBackends.CDI_UPSTREAM_KEY)));

            answersBackToBackCallsOnOneConnection(base, key);
            assertBalance(base, key, 3 + 2 * BACK_TO_BACK_PAIRS);
            backends.upstream().server().verify(3 + 2 * BACK_TO_BACK_PAIRS, postRequestedFor(urlEqualTo(CHAT)));

            // One more call, still waiting for its upstream when the application stops.
            backends.upstream().delayResponses(IN_FLIGHT_UPSTREAM_DELAY);
            inFlight = http.sendAsync(post(base, CHAT, key, chat(ServerBackends.MODEL, false)).build(),
                    HttpResponse.BodyHandlers.ofString());
            await().atMost(UNDEPLOY_DEADLINE).until(() -> backends.upstream().server()
                    .findAll(postRequestedFor(urlEqualTo(CHAT))).size() == CALLS_BEFORE_UNDEPLOY);
            assertThat(inFlight).as("the call waits for its upstream as the undeploy begins").isNotDone();
        } finally {
            deployer.undeploy(WAR);
        }
        assertUnloaded(server, base);
        assertThat(awaitGone(base)).isIn(404, REFUSED);
        // The stop waited for the call, and settled its hold before the pool closed: nothing is left for a sweeper.
        assertAnswered(inFlight.get(UNDEPLOY_DEADLINE.toSeconds(), TimeUnit.SECONDS), ServerBackends.MODEL);
        await().atMost(UNDEPLOY_DEADLINE).until(backends::pendingHolds, pending -> pending == 0);
        backends.upstream().delayResponses(Duration.ZERO);

        if (Boolean.getBoolean(ServerBackends.REDEPLOY)) {
            servesAgainWhenRedeployed(base, key, server);
        }
    }

    /**
     * The same WAR again in the same server: nothing the first deployment left (a driver, a thread, a
     * registration) may get in its way; where the server's log is known, it must report no leak.
     */
    private void servesAgainWhenRedeployed(URI base, String key, ServerJvm server) throws IOException, InterruptedException {
        deployer.deploy(WAR);
        try {
            assertThat(statusOf(get(base, "/health/ready"))).isEqualTo(200);
            assertAnswered(send(post(base, CHAT, key, chat(ServerBackends.CDI_MODEL, false))), ServerBackends.CDI_MODEL);
            assertBalance(base, key, CALLS_BEFORE_UNDEPLOY + 1);
        } finally {
            deployer.undeploy(WAR);
        }
        assertUnloaded(server, base);
        assertThat(awaitGone(base)).isIn(404, REFUSED);
        String logs = System.getProperty(ServerBackends.TOMCAT_LOGS);
        if (logs != null) {
            assertThat(new TomcatLog(Path.of(logs)).leaksAfter(WAR, 2, UNDEPLOY_DEADLINE)).isEmpty();
        }
    }

    /**
     * Right after the undeploy, before any other request: a full collection in the server's JVM leaves
     * none of the application's classes loaded, within {@link #UNLOAD_DEADLINE}. A class loader kept
     * by a thread-local, a thread or a registration in the server would keep every class it loaded.
     * (WildFly's worker threads keep the first task they ran, which reaches the application, for as
     * long as they live: its module runs it with workers that end when idle, see worker-threads.yml.)
     */
    private static void assertUnloaded(ServerJvm server, URI base) {
        long start = System.nanoTime();
        AtomicInteger looks = new AtomicInteger();
        try {
            await().atMost(UNLOAD_DEADLINE).pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(500))
                    .until(() -> {
                        wakeSelectors(base);
                        looks.incrementAndGet();
                        return server.applicationClassesAfterFullGc();
                    }, List::isEmpty);
        } catch (ConditionTimeoutException e) {
            List<String> loaded = server.applicationClassesAfterFullGc();
            throw new AssertionError(loaded.size() + " application classes still loaded in JVM " + server.pid() + " "
                    + UNLOAD_DEADLINE + " after the undeploy, among them " + loaded.subList(0, Math.min(loaded.size(), 5))
                    + "; threads and heap: " + server.dumpTo(Path.of(System.getProperty(ServerBackends.WORK_DIR), "leak")), e);
        }
        System.out.printf("Application classes unloaded from JVM %d %d ms after the undeploy (look %d)%n",
                server.pid(), Duration.ofNanos(System.nanoTime() - start).toMillis(), looks.get());
    }

    /**
     * Opens and closes a TCP connection to the server, sending nothing: no request reaches any
     * application. Jetty's selector keeps the last connection it handled (its iteration cursor,
     * through that connection's channel, the undeployed application) until its next event; a
     * real server has those all the time, an idle test server needs this one.
     */
    private static void wakeSelectors(URI base) {
        try (var socket = new Socket()) {
            socket.connect(new InetSocketAddress(base.getHost(), base.getPort()), 2_000);
        } catch (IOException e) {
            // The server refusing or not listening wakes nothing, and changes nothing to check.
        }
    }

    /**
     * Pairs of a plain and a streamed call, each sent the moment the previous answer ended, on the
     * one keep-alive connection this client holds: the next request reaches the server while it may
     * still be finishing the last exchange. Payara Micro (Grizzly) lost about one such request in
     * forty when the adapter sent a whole answer before completing its exchange (the request sat
     * unanswered, nothing logged); this many pairs find that with a chance above 99 %.
     */
    private void answersBackToBackCallsOnOneConnection(URI base, String key) throws IOException {
        for (int i = 0; i < BACK_TO_BACK_PAIRS; i++) {
            assertAnswered(send(post(base, CHAT, key, chat(ServerBackends.MODEL, false)).timeout(BACK_TO_BACK_TIMEOUT)),
                    ServerBackends.MODEL);
            HttpResponse<String> stream = send(post(base, CHAT, key, chat(ServerBackends.MODEL, true)).timeout(BACK_TO_BACK_TIMEOUT));
            assertThat(stream.statusCode()).as(stream.body()).isEqualTo(200);
            assertThat(stream.body()).as("pair %d", i).contains("data: [DONE]");
        }
    }

    private static void assertAnswered(HttpResponse<String> completion, String model) throws IOException {
        assertThat(completion.statusCode()).as(completion.body()).isEqualTo(200);
        JsonNode answer = JSON.readTree(completion.body());
        assertThat(answer.at("/choices/0/message/content").asText()).as(completion.body()).isEqualTo(MockOpenAiUpstream.COMPLETION_TEXT);
        assertThat(answer.get("model").asText()).isEqualTo(model);
    }

    /** Exactly {@code calls} calls charged, nothing held. */
    private void assertBalance(URI base, String key, int calls) throws IOException {
        HttpResponse<String> account = send(get(base, "/api/v1/account").header("Authorization", "Bearer " + key));
        assertThat(account.statusCode()).as(account.body()).isEqualTo(200);
        JsonNode wallet = JSON.readTree(account.body());
        assertThat(wallet.get("balance_micros").asLong()).isEqualTo(GRANT_MICROS - calls * ServerBackends.CALL_COST_MICROS);
        assertThat(wallet.get("held_micros").asLong()).isZero();
    }

    /**
     * The status the old path answers once the application is gone: 404, or {@link #REFUSED} where
     * the server went with it (Payara Micro runs one process per deployment and stops it without
     * waiting). Gives up, answering the last status, after a deadline.
     */
    private int awaitGone(URI base) {
        long deadline = System.nanoTime() + UNDEPLOY_DEADLINE.toNanos();
        int status;
        do {
            status = statusOf(get(base, "/health/live"));
            Thread.onSpinWait();
        } while (status != 404 && status != REFUSED && System.nanoTime() < deadline);
        return status;
    }

    /** A user with {@link #GRANT_MICROS} of credit, through the admin API; returns the user's new API key. */
    private String newUserWithKey(URI base, String adminKey) throws IOException {
        HttpResponse<String> user = send(post(base, "/admin/users", adminKey,
                "{\"email\":\"smoke-" + UUID.randomUUID() + "@example.com\"}"));
        assertThat(user.statusCode()).as(user.body()).isEqualTo(201);
        long id = JSON.readTree(user.body()).get("id").asLong();
        HttpResponse<String> credits = send(post(base, "/admin/users/" + id + "/credits", adminKey,
                "{\"amount_micros\":" + GRANT_MICROS + ",\"reason\":\"smoke\",\"idempotency_key\":\"smoke-" + id + "\"}"));
        assertThat(credits.statusCode()).as(credits.body()).isEqualTo(201);
        HttpResponse<String> key = send(post(base, "/admin/users/" + id + "/keys", adminKey, "{\"name\":\"smoke\"}"));
        assertThat(key.statusCode()).as(key.body()).isEqualTo(201);
        return JSON.readTree(key.body()).get("key").asText();
    }

    private static String chat(String model, boolean stream) {
        return "{\"model\":\"" + model + "\",\"max_tokens\":100,\"stream\":" + stream
                + (stream ? ",\"stream_options\":{\"include_usage\":true}" : "")
                + ",\"messages\":[{\"role\":\"user\",\"content\":\"Say hello\"}]}";
    }

    private static HttpRequest.Builder get(URI base, String path) {
        return HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(30)).GET();
    }

    private static HttpRequest.Builder post(URI base, String path, String key, String json) {
        return HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(30))
                .header("Authorization", "Bearer " + key).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(json));
    }

    private HttpResponse<String> send(HttpRequest.Builder request) throws IOException {
        try {
            return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** The status, or {@link #REFUSED} when nothing listens any more. */
    private int statusOf(HttpRequest.Builder request) {
        try {
            return send(request).statusCode();
        } catch (ConnectException e) {
            return REFUSED;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
