package app.apimodels.core.testing;

import app.apimodels.spi.web.EventStream;
import app.apimodels.spi.web.Exchange;
import app.apimodels.spi.web.Response;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;

/**
 * An exchange held in memory: the engine's answer completes {@link #answer()}; {@link #leave()}
 * plays a client that disconnects before it.
 */
public final class MemoryExchange implements Exchange {

    private final String method;
    private final String path;
    private final String rawQuery;
    private final Map<String, String> headers = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
    private final byte[] body;
    private final boolean tooLarge;
    private final CompletableFuture<Response> answer = new CompletableFuture<>();
    private Runnable onClientGone;
    private boolean gone;

    public MemoryExchange(String method, String target, Map<String, String> headers, byte[] body, long maxBody) {
        this.method = method;
        int q = target.indexOf('?');
        this.path = q < 0 ? target : target.substring(0, q);
        this.rawQuery = q < 0 ? null : target.substring(q + 1);
        this.headers.putAll(headers);
        this.body = body == null ? new byte[0] : body;
        this.tooLarge = this.body.length > maxBody;
    }

    public CompletableFuture<Response> answer() {
        return answer;
    }

    /** The client disconnects: runs what the engine registered for that, once. */
    public void leave() {
        Runnable action;
        synchronized (this) {
            gone = true;
            action = onClientGone;
            onClientGone = null;
        }
        if (action != null) {
            action.run();
        }
    }

    @Override
    public void onClientGone(Runnable action) {
        synchronized (this) {
            if (!gone) {
                if (!answer.isDone()) {
                    onClientGone = action;
                }
                return;
            }
        }
        action.run();
    }

    @Override
    public String method() {
        return method;
    }

    @Override
    public String path() {
        return path;
    }

    @Override
    public String query(String name) {
        if (rawQuery == null) {
            return null;
        }
        for (String pair : rawQuery.split("&")) {
            int eq = pair.indexOf('=');
            try {
                if (URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8).equals(name)) {
                    return eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
                }
            } catch (IllegalArgumentException malformed) {
                // skipped, as servlet containers do
            }
        }
        return null;
    }

    @Override
    public String rawQuery() {
        return rawQuery;
    }

    @Override
    public String header(String name) {
        return headers.get(name);
    }

    @Override
    public Map<String, String> headers() {
        return Collections.unmodifiableMap(headers);
    }

    @Override
    public String baseUrl() {
        return "http://localhost:8080";
    }

    @Override
    public String remoteAddress() {
        return "127.0.0.1";
    }

    @Override
    public byte[] body() {
        return body;
    }

    @Override
    public boolean bodyTooLarge() {
        return tooLarge;
    }

    @Override
    public void respond(Response response) {
        answer.complete(response);
    }

    @Override
    public void respond(int status, String contentType, Map<String, String> headers, InputStream data, long length) {
        try (data) {
            answer.complete(new Response(status, contentType, data.readAllBytes(), headers));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public EventStream openEventStream() {
        ByteArrayOutputStream events = new ByteArrayOutputStream();
        return new EventStream() {
            @Override
            public synchronized boolean send(byte[] bytes) {
                events.writeBytes(bytes);
                return !gone;
            }

            @Override
            public synchronized void close() {
                answer.complete(new Response(200, "text/event-stream", events.toByteArray()));
            }

            @Override
            public void onClientGone(Runnable action) {
                MemoryExchange.this.onClientGone(action);
            }
        };
    }
}
