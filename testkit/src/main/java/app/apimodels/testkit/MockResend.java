package app.apimodels.testkit;

import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.client.ResponseDefinitionBuilder;
import com.github.tomakehurst.wiremock.common.Json;
import com.github.tomakehurst.wiremock.verification.LoggedRequest;
import org.awaitility.Awaitility;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.any;
import static com.github.tomakehurst.wiremock.client.WireMock.anyUrl;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;

/**
 * Resend faked at the wire: a local server (WireMock, answered from state kept here) speaking
 * Resend's documented email API, and the {@link MailInbox} of the Resend mailer's contract.
 *
 * <p>{@code POST /emails} under {@link #apiBase()} with {@code Authorization: Bearer <api key>}
 * and a JSON body {@code {from, to, subject, html, text, reply_to, tags: [{name, value}], headers}}
 * ({@code to} and {@code reply_to} a string or a list; {@code to} at most 50) answers
 * {@code 200 {"id": …}} and records the message. Errors have Resend's shape,
 * {@code {"statusCode", "name", "message"}}: {@code 401 missing_api_key} without a key,
 * {@code 401 validation_error} with a wrong one, {@code 422 validation_error} for a missing or
 * malformed field, {@code 400 invalid_idempotency_key} for a key outside 1–256 characters.
 *
 * <p>An {@code Idempotency-Key} accepted before is answered with the first answer (the same id)
 * and nothing is sent again; with a different body it is refused with
 * {@code 409 invalid_idempotent_request}. A refused request does not use up its key.
 *
 * <p>Faults, for the next requests: {@link #failNext} ({@code 500 internal_server_error} or
 * {@code 429 rate_limit_exceeded} with {@code Retry-After}), {@link #refuseNext}
 * ({@code 422 validation_error}), {@link #stallNext} (an answer later than any client timeout).
 */
public final class MockResend implements MailInbox, AutoCloseable {

    private static final String ROUTER = "mock-resend";
    private static final Pattern ADDRESS = Pattern.compile("^(?:.*<([^<>@\\s]+@[^<>@\\s]+)>|([^<>@\\s]+@[^<>@\\s]+))$");

    /**
     * One email Resend accepted.
     *
     * @param from    the {@code from} field as sent (with its display name)
     * @param tags    the tags, by name
     * @param replyTo the {@code reply_to} addresses as sent
     */
    public record Email(String id, String from, List<String> to, String subject, String text, String html,
                        List<String> replyTo, Map<String, String> tags, String idempotencyKey) {
    }

    private record Fault(int status, String name, String message, boolean stall) {
    }

    private record Replay(String body, String id) {
    }

    private final String apiKey;
    private final WireMockServer server;
    private final List<Email> emails = new ArrayList<>();
    private final Map<String, Replay> idempotency = new HashMap<>();
    private final Deque<Fault> faults = new ArrayDeque<>();
    private int requests;

    /** Starts the server on a free port of this machine; requests must carry {@code apiKey}. */
    public MockResend(String apiKey) {
        this.apiKey = apiKey;
        server = new WireMockServer(options().dynamicPort().bindAddress("127.0.0.1").gzipDisabled(true)
                .extensions(new WireMockRouter(ROUTER, this::route)));
        server.start();
        server.stubFor(any(anyUrl()).willReturn(aResponse().withTransformers(ROUTER)));
    }

    /** What to configure as {@code apimodels.resend.api-base}. */
    public String apiBase() {
        return server.baseUrl();
    }

    /** The next {@code times} requests answer {@code status}: 500 ({@code internal_server_error}) or 429 ({@code rate_limit_exceeded}). */
    public synchronized MockResend failNext(int times, int status) {
        String name = status == 429 ? "rate_limit_exceeded" : "internal_server_error";
        for (int i = 0; i < times; i++) {
            faults.add(new Fault(status, name, status == 429 ? "Too many requests." : "An unexpected error occurred.", false));
        }
        return this;
    }

    /** The next {@code times} requests are refused with {@code 422 validation_error}, as for a recipient Resend will not take. */
    public synchronized MockResend refuseNext(int times) {
        for (int i = 0; i < times; i++) {
            faults.add(new Fault(422, "validation_error", "Invalid `to` field.", false));
        }
        return this;
    }

    /** The next {@code times} requests are answered only after 30 seconds (a client's timeout fires first). */
    public synchronized MockResend stallNext(int times) {
        for (int i = 0; i < times; i++) {
            faults.add(new Fault(500, "internal_server_error", "late", true));
        }
        return this;
    }

    /** The emails accepted so far, oldest first (a replayed idempotent request adds none). */
    public synchronized List<Email> emails() {
        return List.copyOf(emails);
    }

    /** How many requests reached the API, refused and replayed ones included. */
    public synchronized int requests() {
        return requests;
    }

    @Override
    public List<ReceivedMail> awaitMessages(int count) {
        Awaitility.await().atMost(Duration.ofSeconds(Conditions.WAIT_SECONDS)).until(() -> emails().size() >= count);
        return emails().stream().map(e -> new ReceivedMail(address(e.from()), e.to().stream().map(MockResend::address).toList(),
                e.replyTo().isEmpty() ? null : address(e.replyTo().get(0)), e.subject(), e.text(), e.html(), e.id(),
                e.to().stream().map(MockResend::address).toList())).toList();
    }

    @Override
    public synchronized void clear() {
        emails.clear();
        idempotency.clear();
        faults.clear();
        requests = 0;
    }

    @Override
    public void close() {
        server.stop();
    }

    private synchronized ResponseDefinitionBuilder route(LoggedRequest request) {
        requests++;
        if (!"POST".equals(request.getMethod().getName()) || !"/emails".equals(request.getUrl())) {
            return error(404, "not_found", "The requested endpoint does not exist.");
        }
        String authorization = request.getHeader("Authorization");
        if (authorization == null || authorization.isBlank()) {
            return error(401, "missing_api_key", "Missing API key in the authorization header.");
        }
        if (!authorization.equals("Bearer " + apiKey)) {
            return error(401, "validation_error", "API key is invalid");
        }
        Fault fault = faults.poll();
        if (fault != null) {
            ResponseDefinitionBuilder answer = error(fault.status(), fault.name(), fault.message());
            if (fault.status() == 429) {
                answer.withHeader("Retry-After", "1");
            }
            return fault.stall() ? answer.withFixedDelay(30_000) : answer;
        }
        String key = request.getHeader("Idempotency-Key");
        if (key != null && (key.isEmpty() || key.length() > 256)) {
            return error(400, "invalid_idempotency_key", "The key must be between 1-256 chars.");
        }
        String body = request.getBodyAsString();
        if (key != null && idempotency.containsKey(key)) {
            Replay first = idempotency.get(key);
            return first.body().equals(body) ? ok(first.id())
                    : error(409, "invalid_idempotent_request", "Same idempotency key used with a different request payload.");
        }
        Email email;
        try {
            email = email(body, key);
        } catch (IllegalArgumentException e) {
            return error(422, "validation_error", e.getMessage());
        }
        emails.add(email);
        if (key != null) {
            idempotency.put(key, new Replay(body, email.id()));
        }
        return ok(email.id());
    }

    @SuppressWarnings("unchecked")
    private static Email email(String body, String key) {
        Object parsed;
        try {
            parsed = Json.read(body, Object.class);
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("The request body is not valid JSON.");
        }
        if (!(parsed instanceof Map<?, ?> map)) {
            throw new IllegalArgumentException("The request body must be a JSON object.");
        }
        Map<String, Object> fields = (Map<String, Object>) map;
        String from = text(fields, "from", true);
        if (address(from) == null) {
            throw new IllegalArgumentException("Invalid `from` field. The email address needs to follow the `email@example.com` or `Name <email@example.com>` format.");
        }
        List<String> to = addresses(fields, "to", true);
        if (to.isEmpty() || to.size() > 50) {
            throw new IllegalArgumentException("Invalid `to` field: 1 to 50 recipients.");
        }
        String subject = text(fields, "subject", true);
        String html = text(fields, "html", false);
        String text = text(fields, "text", false);
        if (html == null && text == null) {
            throw new IllegalArgumentException("Missing `html` or `text` field.");
        }
        Map<String, String> tags = new LinkedHashMap<>();
        if (fields.get("tags") instanceof List<?> list) {
            for (Object tag : list) {
                if (!(tag instanceof Map<?, ?> t) || !(t.get("name") instanceof String name) || !(t.get("value") instanceof String value)
                        || !name.matches("[A-Za-z0-9_-]{1,256}") || !value.matches("[A-Za-z0-9_-]{1,256}")) {
                    throw new IllegalArgumentException("Invalid `tags` field: names and values are ASCII letters, numbers, _ and -.");
                }
                tags.put(name, value);
            }
        } else if (fields.get("tags") != null) {
            throw new IllegalArgumentException("Invalid `tags` field.");
        }
        return new Email(UUID.randomUUID().toString(), from, to, subject, text, html, addresses(fields, "reply_to", false),
                tags, key);
    }

    private static String text(Map<String, Object> fields, String name, boolean required) {
        Object value = fields.get(name);
        if (value == null && !required) {
            return null;
        }
        if (!(value instanceof String s) || (required && s.isBlank())) {
            throw new IllegalArgumentException("Missing or invalid `" + name + "` field.");
        }
        return s;
    }

    private static List<String> addresses(Map<String, Object> fields, String name, boolean required) {
        Object value = fields.get(name);
        List<String> out = new ArrayList<>();
        if (value instanceof String s) {
            out.add(s);
        } else if (value instanceof List<?> list) {
            for (Object item : list) {
                if (!(item instanceof String s)) {
                    throw new IllegalArgumentException("Invalid `" + name + "` field.");
                }
                out.add(s);
            }
        } else if (value != null || required) {
            throw new IllegalArgumentException("Missing or invalid `" + name + "` field.");
        }
        for (String address : out) {
            if (address(address) == null) {
                throw new IllegalArgumentException("Invalid `" + name + "` field.");
            }
        }
        return out;
    }

    /** The bare address of {@code a@b} or {@code Name <a@b>}, or null if it is neither. */
    private static String address(String value) {
        Matcher m = ADDRESS.matcher(value.strip());
        if (!m.matches()) {
            return null;
        }
        return m.group(1) != null ? m.group(1) : m.group(2);
    }

    private static ResponseDefinitionBuilder ok(String id) {
        return aResponse().withStatus(200).withHeader("Content-Type", "application/json")
                .withBody(Json.write(Map.of("id", id)));
    }

    private static ResponseDefinitionBuilder error(int status, String name, String message) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("statusCode", status);
        body.put("name", name);
        body.put("message", message);
        return aResponse().withStatus(status).withHeader("Content-Type", "application/json").withBody(Json.write(body));
    }
}
