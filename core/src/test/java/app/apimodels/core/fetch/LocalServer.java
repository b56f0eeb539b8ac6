package app.apimodels.core.fetch;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/** A JDK HTTP server on a loopback address whose handlers can stall until the test ends. */
final class LocalServer implements AutoCloseable {

    private final String host;
    private final HttpServer server;
    private final ExecutorService executor = Executors.newCachedThreadPool();
    private final CountDownLatch release = new CountDownLatch(1);
    private final Map<String, AtomicInteger> hits = new ConcurrentHashMap<>();

    /** @param loopback a literal, {@code 127.0.0.1} or {@code ::1} */
    LocalServer(String loopback) throws IOException {
        host = loopback;
        server = HttpServer.create(new InetSocketAddress(InetAddress.getByName(loopback), 0), 0);
        server.setExecutor(executor);
        server.start();
    }

    /** Serves {@code path} (exactly, or followed by more) and counts the requests it gets. */
    void handle(String path, HttpHandler handler) {
        AtomicInteger count = hits.computeIfAbsent(path, p -> new AtomicInteger());
        server.createContext(path, exchange -> {
            count.incrementAndGet();
            try (exchange) {
                handler.handle(exchange);
            }
        });
    }

    int hits(String path) {
        AtomicInteger count = hits.get(path);
        return count == null ? 0 : count.get();
    }

    int port() {
        return server.getAddress().getPort();
    }

    /** host:port as a URL spells it. */
    String hostPort() {
        return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + port();
    }

    URI url(String pathAndQuery) {
        return URI.create("http://" + hostPort() + pathAndQuery);
    }

    /** Blocks a handler until the test is over (bounded, so a broken test cannot hang the build). */
    void stall() {
        try {
            release.await(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    ExecutorService executor() {
        return executor;
    }

    static void respond(HttpExchange exchange, int status, String contentType, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        if (contentType != null) {
            exchange.getResponseHeaders().set("Content-Type", contentType);
        }
        exchange.sendResponseHeaders(status, bytes.length == 0 ? -1 : bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes);
        }
    }

    static void redirect(HttpExchange exchange, int status, String location) throws IOException {
        exchange.getResponseHeaders().set("Location", location);
        exchange.sendResponseHeaders(status, -1);
    }

    @Override
    public void close() {
        release.countDown();
        server.stop(0);
        executor.shutdownNow();
    }
}
