package app.apimodels.testkit.web;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

/**
 * One HTTP/1.1 request on a plain socket, for running {@link ExchangeContract} against an adapter
 * in a real server: unlike {@code java.net.http.HttpClient} it can read a response while it is
 * still arriving and drop the connection mid-response. The request asks the server to close the
 * connection after the response, so the end of the stream is the end of the response.
 */
public final class HttpClientConnection implements AutoCloseable {

    private final Socket socket;
    private final ByteArrayOutputStream received = new ByteArrayOutputStream();
    private boolean ended;

    private HttpClientConnection(Socket socket) {
        this.socket = socket;
    }

    /**
     * Connects and sends {@code method target} with {@code headers} and {@code body} (sent with a
     * Content-Length when not empty), then reads the response on a thread of its own.
     */
    public static HttpClientConnection send(String host, int port, String method, String target,
                                            Map<String, String> headers, byte[] body) {
        try {
            Socket socket = new Socket(host, port);
            StringBuilder head = new StringBuilder(method).append(' ').append(target).append(" HTTP/1.1\r\n")
                    .append("Host: ").append(host).append(':').append(port).append("\r\nConnection: close\r\n");
            headers.forEach((name, value) -> head.append(name).append(": ").append(value).append("\r\n"));
            if (body.length > 0) {
                head.append("Content-Length: ").append(body.length).append("\r\n");
            }
            head.append("\r\n");
            socket.getOutputStream().write(head.toString().getBytes(StandardCharsets.ISO_8859_1));
            socket.getOutputStream().write(body);
            socket.getOutputStream().flush();
            HttpClientConnection connection = new HttpClientConnection(socket);
            Thread reader = new Thread(connection::read, "http-client-connection-reader");
            reader.setDaemon(true);
            reader.start();
            return connection;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private void read() {
        byte[] buffer = new byte[8192];
        try (InputStream in = socket.getInputStream()) {
            int n;
            while ((n = in.read(buffer)) >= 0) {
                synchronized (this) {
                    received.write(buffer, 0, n);
                    notifyAll();
                }
            }
        } catch (IOException closed) {
            // closed by the server or by close(): either way the response is whatever arrived
        } finally {
            synchronized (this) {
                ended = true;
                notifyAll();
            }
        }
    }

    /** A response as the client read it; header names are case-insensitive, a chunked body is decoded. */
    public record Received(int status, Map<String, String> headers, byte[] body) implements ExchangeContract.Received {
        @Override
        public String header(String name) {
            return headers.get(name);
        }

    }

    /** Waits until the server ended the response (closed the connection) and returns it. */
    public Received awaitResponse(Duration timeout) {
        return await(timeout, "the end of the response", () -> ended ? parse() : null);
    }

    /** Waits until the response head and a body containing {@code text} arrived (before the response ends). */
    public Received awaitBodyContaining(String text, Duration timeout) {
        return await(timeout, "a body containing '" + text + "'", () -> {
            Received r = parse();
            if (r != null && r.bodyText().contains(text)) {
                return r;
            }
            if (ended) {
                throw new AssertionError("the response ended without '" + text + "': "
                        + received.toString(StandardCharsets.ISO_8859_1));
            }
            return null;
        });
    }

    /** Drops the connection, as a client that goes away does. */
    @Override
    public void close() {
        try {
            socket.close();
        } catch (IOException ignored) {
            // already closed
        }
    }

    private interface State<T> {
        T now();
    }

    private synchronized <T> T await(Duration timeout, String what, State<T> state) {
        long deadline = System.nanoTime() + timeout.toNanos();
        T value;
        while ((value = state.now()) == null) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                throw new AssertionError("no " + what + " within " + timeout + "; received: "
                        + received.toString(StandardCharsets.ISO_8859_1));
            }
            try {
                TimeUnit.NANOSECONDS.timedWait(this, left);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted waiting for " + what, e);
            }
        }
        return value;
    }

    /** What arrived so far, or null before the whole head did. Caller holds the monitor. */
    private Received parse() {
        byte[] bytes = received.toByteArray();
        int end = indexOf(bytes, "\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1), 0);
        if (end < 0) {
            return null;
        }
        String[] lines = new String(bytes, 0, end, StandardCharsets.ISO_8859_1).split("\r\n");
        int status = Integer.parseInt(lines[0].split(" ")[1]);
        Map<String, String> headers = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
        for (int i = 1; i < lines.length; i++) {
            int colon = lines[i].indexOf(':');
            headers.putIfAbsent(lines[i].substring(0, colon).trim(), lines[i].substring(colon + 1).trim());
        }
        int start = end + 4;
        byte[] body = "chunked".equalsIgnoreCase(headers.get("Transfer-Encoding"))
                ? dechunk(bytes, start)
                : java.util.Arrays.copyOfRange(bytes, start, bytes.length);
        return new Received(status, headers, body);
    }

    /** The chunks that arrived whole, joined. */
    private static byte[] dechunk(byte[] bytes, int at) {
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        byte[] crlf = {'\r', '\n'};
        while (true) {
            int lineEnd = indexOf(bytes, crlf, at);
            if (lineEnd < 0) {
                break;
            }
            String size = new String(bytes, at, lineEnd - at, StandardCharsets.ISO_8859_1);
            int semicolon = size.indexOf(';');
            int length = Integer.parseInt((semicolon < 0 ? size : size.substring(0, semicolon)).trim(), 16);
            if (length == 0 || lineEnd + 2 + length > bytes.length) {
                break;
            }
            body.write(bytes, lineEnd + 2, length);
            at = lineEnd + 2 + length + 2;
        }
        return body.toByteArray();
    }

    private static int indexOf(byte[] bytes, byte[] pattern, int from) {
        outer:
        for (int i = from; i <= bytes.length - pattern.length; i++) {
            for (int j = 0; j < pattern.length; j++) {
                if (bytes[i + j] != pattern[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }
}
