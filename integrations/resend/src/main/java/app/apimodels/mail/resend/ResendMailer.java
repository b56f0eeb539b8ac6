package app.apimodels.mail.resend;

import app.apimodels.json.JsonMappers;
import app.apimodels.spi.mail.MailMessage;
import app.apimodels.spi.mail.Mailer;
import app.apimodels.spi.mail.SendResult;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;

/**
 * Sends through Resend's REST API ({@code POST /emails}, {@code Authorization: Bearer}, JSON) with
 * the JDK's HTTP client: no vendor SDK, and a base URL tests can point at a local server. The
 * message's idempotency key goes out as {@code Idempotency-Key}, so Resend sends a retried message
 * once (for 24 hours). Answers are sorted by what a retry can change: 429, 5xx, a timeout or no
 * connection may pass; any other 4xx (a rejected recipient, an unverified sender, a refused key,
 * a key reused for another message) will not. Errors name Resend's status and error name only,
 * never its message text or the key.
 */
final class ResendMailer implements Mailer {

    private static final ObjectMapper JSON = JsonMappers.create();

    private final ResendSettings settings;
    private final HttpClient client;

    ResendMailer(ResendSettings settings) {
        this.settings = settings;
        this.client = HttpClient.newBuilder().connectTimeout(settings.timeout()).followRedirects(HttpClient.Redirect.NEVER).build();
    }

    @Override
    public String type() {
        return "resend";
    }

    @Override
    public SendResult send(MailMessage message) {
        HttpRequest.Builder request = HttpRequest.newBuilder(settings.emails())
                .timeout(settings.timeout())
                .header("Authorization", "Bearer " + settings.apiKey())
                .header("Content-Type", "application/json")
                .header("User-Agent", "apimodels-resend/1")
                .POST(HttpRequest.BodyPublishers.ofByteArray(body(message)));
        if (message.idempotencyKey() != null) {
            if (message.idempotencyKey().isEmpty() || message.idempotencyKey().length() > 256) {
                throw new IllegalArgumentException("Resend takes idempotency keys of 1 to 256 characters");
            }
            request.header("Idempotency-Key", message.idempotencyKey());
        }
        HttpResponse<byte[]> response;
        try {
            response = client.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
        } catch (HttpTimeoutException e) {
            return SendResult.refused("Resend did not answer within " + settings.timeout().toSeconds() + " s", true);
        } catch (IOException e) {
            return SendResult.refused("could not reach Resend at " + settings.apiBase().getHost(), true);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return SendResult.refused("interrupted while sending to Resend", true);
        }
        return result(response);
    }

    private byte[] body(MailMessage message) {
        ObjectNode body = JSON.createObjectNode();
        body.put("from", message.from() == null ? settings.from() : message.from());
        ArrayNode to = body.putArray("to");
        message.to().forEach(to::add);
        body.put("subject", message.subject());
        if (message.html() != null) {
            body.put("html", message.html());
        }
        if (message.text() != null) {
            body.put("text", message.text());
        }
        if (message.replyTo() != null) {
            body.put("reply_to", message.replyTo());
        }
        if (!message.tags().isEmpty()) {
            ArrayNode tags = body.putArray("tags");
            message.tags().forEach((name, value) -> tags.addObject().put("name", name).put("value", value));
        }
        try {
            return JSON.writeValueAsBytes(body);
        } catch (IOException e) {
            throw new IllegalStateException("a JSON tree always serialises", e);
        }
    }

    private static SendResult result(HttpResponse<byte[]> response) {
        int status = response.statusCode();
        JsonNode answer = parse(response.body());
        if (status / 100 == 2) {
            String id = answer.path("id").asText("");
            return id.isEmpty() ? SendResult.refused("Resend answered " + status + " without an email id", true) : SendResult.accepted(id);
        }
        String name = answer.path("name").asText("");
        String what = "Resend answered " + status + (name.matches("[a-z_]{1,60}") ? " " + name : "");
        boolean retryable = status == 429 || status >= 500 || "concurrent_idempotent_requests".equals(name);
        if (status == 401 || status == 403) {
            what += " (check apimodels.resend.api-key and that apimodels.mail.from is on a verified domain)";
        }
        return SendResult.refused(what, retryable);
    }

    private static JsonNode parse(byte[] body) {
        try {
            return JSON.readTree(body);
        } catch (IOException e) {
            return JSON.createObjectNode();
        }
    }

    @Override
    public String toString() {
        return "ResendMailer[" + settings + "]";
    }
}
