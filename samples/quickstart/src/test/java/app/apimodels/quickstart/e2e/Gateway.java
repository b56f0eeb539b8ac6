package app.apimodels.quickstart.e2e;

import app.apimodels.core.config.ConfigSource;
import app.apimodels.core.testing.TestDatabases;
import app.apimodels.quickstart.Quickstart;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;

/**
 * The quickstart, started for real (embedded Jetty, the servlet adapter, every integration) on
 * a free port with a given catalog and database, plus the admin calls tests need.
 */
final class Gateway implements AutoCloseable {

    static final String ADMIN_KEY = "test-admin-key-" + UUID.randomUUID();
    static final ObjectMapper JSON = new ObjectMapper();

    private final Quickstart quickstart;
    private final int port;
    private final Map<String, String> settings;
    private final java.time.Clock clock;
    final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5)).build();

    private Gateway(Quickstart quickstart, int port, Map<String, String> settings, java.time.Clock clock) {
        this.quickstart = quickstart;
        this.port = port;
        this.settings = settings;
        this.clock = clock;
    }

    /** Admin and client calls against a quickstart started (and stopped) by the test itself. */
    static Gateway attach(int port) {
        return new Gateway(null, port, Map.of(), java.time.Clock.systemUTC());
    }

    /** A direct connection to the gateway's database, to check the books behind the API. */
    java.sql.Connection database() throws java.sql.SQLException {
        return java.sql.DriverManager.getConnection(settings.get("apimodels.db.url"),
                settings.getOrDefault("apimodels.db.user", ""), settings.getOrDefault("apimodels.db.password", ""));
    }

    long queryLong(String sql) {
        try (var c = database(); var s = c.createStatement(); var rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        } catch (java.sql.SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Settings that send the gateway's mail to {@code inbox} over SMTP, looked for every 50 ms (a mutable map, for more). */
    static Map<String, String> mailTo(app.apimodels.testkit.GreenMailInbox inbox) {
        Map<String, String> mail = new HashMap<>(Map.of("apimodels.mail.type", "smtp", "apimodels.mail.host", inbox.host(),
                "apimodels.mail.port", Integer.toString(inbox.port()), "apimodels.mail.username", inbox.username(),
                "apimodels.mail.password", inbox.password(), "apimodels.mail.starttls", "false",
                "apimodels.mail.from", "Acme AI <noreply@acme.example>"));
        mail.put("apimodels.mail.send-interval-ms", "50");
        mail.put("apimodels.jobs.poll-interval-ms", "50");
        return mail;
    }

    static Gateway start(TestDatabases db, String catalogYaml, Path dir, Map<String, String> extra) throws Exception {
        return start(db, catalogYaml, dir, extra, java.time.Clock.systemUTC());
    }

    static Gateway start(TestDatabases db, String catalogYaml, Path dir, Map<String, String> extra,
                         java.time.Clock clock) throws Exception {
        Path catalog = dir.resolve("catalog.yaml");
        Files.writeString(catalog, catalogYaml);
        Map<String, String> settings = new HashMap<>(db.settings());
        settings.put("apimodels.port", "0");
        settings.put("apimodels.data-dir", dir.resolve("data").toString());
        settings.put("apimodels.catalog", catalog.toString());
        settings.put("apimodels.bootstrap.admin-key", ADMIN_KEY);
        settings.putAll(extra);
        Quickstart q = Quickstart.start(ConfigSource.of(settings), clock);
        return new Gateway(q, q.port(), settings, clock);
    }

    /** Another node of the same cluster: same database and settings, its own port and data directory. */
    Gateway peer(Path otherDir) throws Exception {
        Map<String, String> same = new HashMap<>(settings);
        same.put("apimodels.port", "0");
        same.put("apimodels.data-dir", otherDir.toString());
        Quickstart q = Quickstart.start(ConfigSource.of(same), clock);
        return new Gateway(q, q.port(), same, clock);
    }

    /** Stops this gateway and starts another on the same database, data directory and port (a restart). */
    Gateway restart() throws Exception {
        close();
        Map<String, String> same = new HashMap<>(settings);
        same.put("apimodels.port", String.valueOf(port));
        Quickstart q = Quickstart.start(ConfigSource.of(same), clock);
        return new Gateway(q, q.port(), same, clock);
    }

    URI uri(String path) {
        return URI.create("http://localhost:" + port + path);
    }

    String baseUrl() {
        return "http://localhost:" + port;
    }

    HttpResponse<String> send(String method, String path, String key, String body) {
        HttpRequest.Builder b = HttpRequest.newBuilder(uri(path)).timeout(Duration.ofSeconds(30));
        if (key != null) {
            b.header("Authorization", "Bearer " + key);
        }
        if (body != null) {
            b.header("Content-Type", "application/json");
        }
        b.method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        try {
            return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /**
     * Sends a streaming chat request on a raw socket (so the test can vanish mid-stream, which
     * HttpClient cannot be made to do) and returns the open socket once the first event arrived.
     */
    static java.net.Socket openStream(int port, String key, String body, StringBuilder firstEvent) throws IOException {
        return openStream(port, key, "/v1/chat/completions", body, firstEvent);
    }

    /** The same on another streaming route ({@code /v1/messages}, {@code /v1/responses}). */
    static java.net.Socket openStream(int port, String key, String path, String body, StringBuilder firstEvent) throws IOException {
        java.net.Socket socket = new java.net.Socket("localhost", port);
        socket.setSoTimeout(10_000);
        byte[] bytes = body.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        var out = socket.getOutputStream();
        out.write(("POST " + path + " HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer " + key
                + "\r\nContent-Type: application/json\r\nContent-Length: " + bytes.length + "\r\n\r\n")
                .getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        out.write(bytes);
        out.flush();
        var in = new java.io.BufferedReader(new java.io.InputStreamReader(socket.getInputStream(), java.nio.charset.StandardCharsets.UTF_8));
        String line;
        do {
            line = in.readLine();
        } while (line != null && !line.startsWith("data: {"));
        firstEvent.append(line);
        return socket;
    }

    int port() {
        return port;
    }

    static JsonNode json(HttpResponse<String> r) {
        try {
            return JSON.readTree(r.body());
        } catch (IOException e) {
            throw new UncheckedIOException("not JSON (status " + r.statusCode() + "): " + r.body(), e);
        }
    }

    /** A new user with {@code micros} of credit and an API key; returns the key's secret. */
    User user(long micros) {
        HttpResponse<String> created = send("POST", "/admin/users", ADMIN_KEY,
                "{\"email\":\"u-" + UUID.randomUUID() + "@example.com\"}");
        expect(created, 201);
        long id = json(created).get("id").asLong();
        if (micros > 0) {
            expect(send("POST", "/admin/users/" + id + "/credits", ADMIN_KEY,
                    "{\"amount_micros\":" + micros + ",\"reason\":\"test\",\"idempotency_key\":\"k-" + id + "\"}"), 201);
        }
        HttpResponse<String> key = send("POST", "/admin/users/" + id + "/keys", ADMIN_KEY, "{\"name\":\"test\"}");
        expect(key, 201);
        return new User(id, json(key).get("key").asText());
    }

    record User(long id, String key) {
    }

    /** The user's wallet: available micros (after this node's pending settlements are committed). */
    long balance(User u) {
        HttpResponse<String> r = send("GET", "/api/v1/account", u.key(), null);
        expect(r, 200);
        return json(r).get("balance_micros").asLong();
    }

    long held(User u) {
        return json(send("GET", "/api/v1/account", u.key(), null)).get("held_micros").asLong();
    }

    JsonNode usage(User u) {
        HttpResponse<String> r = send("GET", "/api/v1/account/usage", u.key(), null);
        expect(r, 200);
        return json(r).get("data");
    }

    /** The user's latest call once it is logged (a cut call is logged when the relay notices the cut). */
    JsonNode awaitLoggedCall(User u) {
        return org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(15)).until(() -> usage(u), rows -> rows.size() > 0).get(0);
    }

    static HttpResponse<String> expect(HttpResponse<String> r, int status) {
        if (r.statusCode() != status) {
            throw new AssertionError("expected " + status + " but got " + r.statusCode() + ": " + r.body());
        }
        return r;
    }

    @Override
    public void close() {
        if (quickstart != null) {
            quickstart.close();
        }
    }
}
