package app.apimodels.testkit;

import app.apimodels.spi.webhook.InboundWebhook;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import java.util.TreeMap;

/**
 * A webhook a mock upstream would post: its signed headers and exact body, addressed to the URL
 * the client gave when it submitted the task (null if it gave none).
 */
public record MockWebhook(URI url, Map<String, String> headers, byte[] body) {

    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();

    public MockWebhook {
        TreeMap<String, String> copy = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
        copy.putAll(headers);
        headers = java.util.Collections.unmodifiableMap(copy);
        body = body.clone();
    }

    @Override
    public byte[] body() {
        return body.clone();
    }

    /** Posts it to {@link #url()}, as the upstream would; answers the HTTP status received. */
    public int deliver() {
        if (url == null) {
            throw new IllegalStateException("the task was submitted without a webhook URL");
        }
        return deliverTo(url);
    }

    /** Posts it to {@code target}; answers the HTTP status received. */
    public int deliverTo(URI target) {
        HttpRequest.Builder request = HttpRequest.newBuilder(target).timeout(Duration.ofSeconds(15))
                .POST(HttpRequest.BodyPublishers.ofByteArray(body));
        headers.forEach(request::header);
        try {
            return HTTP.send(request.build(), HttpResponse.BodyHandlers.discarding()).statusCode();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted delivering a webhook", e);
        }
    }

    /** As the engine hands it to a provider, without going over the network. */
    public InboundWebhook toInbound() {
        return new InboundWebhook(url, headers, body);
    }

    /** The same headers with another body: the signature no longer matches. */
    public MockWebhook withBody(byte[] otherBody) {
        return new MockWebhook(url, headers, otherBody);
    }

    /** Without one of its headers. */
    public MockWebhook withoutHeader(String name) {
        Map<String, String> fewer = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
        fewer.putAll(headers);
        fewer.remove(name);
        return new MockWebhook(url, fewer, body);
    }
}
