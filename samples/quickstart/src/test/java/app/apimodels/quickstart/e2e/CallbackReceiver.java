package app.apimodels.quickstart.e2e;

import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/** A client's callback_url: records each POST; can refuse the first few with a 500. */
final class CallbackReceiver implements AutoCloseable {

    record Call(String signature, String body) {
    }

    private final HttpServer server;
    private final BlockingQueue<Call> calls = new LinkedBlockingQueue<>();
    private final AtomicInteger refuse = new AtomicInteger();

    CallbackReceiver() {
        try {
            server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        server.createContext("/hook", exchange -> {
            byte[] body = exchange.getRequestBody().readAllBytes();
            calls.add(new Call(exchange.getRequestHeaders().getFirst("X-Apimodels-Signature"), new String(body, StandardCharsets.UTF_8)));
            int status = refuse.getAndUpdate(n -> Math.max(0, n - 1)) > 0 ? 500 : 200;
            exchange.sendResponseHeaders(status, -1);
            exchange.close();
        });
        server.createContext("/files/", exchange -> {
            byte[] file = files.get(exchange.getRequestURI().getPath());
            exchange.sendResponseHeaders(file == null ? 404 : 200, file == null ? -1 : file.length);
            if (file != null) {
                exchange.getResponseBody().write(file);
            }
            exchange.close();
        });
        server.start();
    }

    private final java.util.Map<String, byte[]> files = new java.util.concurrent.ConcurrentHashMap<>();

    /** Serves {@code bytes} at the returned URL (a client's own file host). */
    String serve(String name, byte[] bytes) {
        files.put("/files/" + name, bytes);
        return "http://" + hostPort() + "/files/" + name;
    }

    /** The {@code host:port} to allow in {@code apimodels.fetch.allowed-private-hosts}. */
    String hostPort() {
        return "127.0.0.1:" + server.getAddress().getPort();
    }

    String url() {
        return "http://" + hostPort() + "/hook";
    }

    /** Answers the next {@code n} callbacks with 500. */
    void refuseNext(int n) {
        refuse.set(n);
    }

    /** The next callback, waiting up to {@code seconds}. */
    Call next(int seconds) throws InterruptedException {
        Call c = calls.poll(seconds, TimeUnit.SECONDS);
        if (c == null) {
            throw new AssertionError("no callback within " + seconds + " s");
        }
        return c;
    }

    int received() {
        return calls.size();
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
