package app.apimodels.bench;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.Set;

/**
 * Slow-body clients, as an attacker would run them: {@code --connections} connections that send
 * their headers with {@code Content-Length: 1034}, then one body byte every {@code --interval-ms}.
 * A third carry a valid key to the chat route, a third no key, a third a key to an unknown path. A
 * connection the server answers or closes is opened again at the next tick, so the count holds.
 * Runs until killed (or {@code --duration-seconds}); prints a status line every 10 s on stderr.
 */
final class SlowClients {

    private static final int DECLARED = 1034;

    private SlowClients() {
    }

    public static void main(String[] args) throws Exception {
        Options o = new Options(args, Set.of("host", "port", "connections", "interval-ms", "key", "duration-seconds"), Set.of());
        String host = o.string("host", "127.0.0.1");
        int port = o.integer("port", 18080);
        int count = o.integer("connections", 1000);
        int interval = o.integer("interval-ms", 2000);
        String key = o.string("key", "");
        long end = System.nanoTime() + o.integer("duration-seconds", Integer.MAX_VALUE / 2) * 1_000_000_000L;

        String[] heads = {
            "POST /v1/chat/completions HTTP/1.1\r\nHost: " + host + "\r\nAuthorization: Bearer " + key
                    + "\r\nContent-Type: application/json\r\nContent-Length: " + DECLARED + "\r\n\r\n",
            "POST /v1/chat/completions HTTP/1.1\r\nHost: " + host
                    + "\r\nContent-Type: application/json\r\nContent-Length: " + DECLARED + "\r\n\r\n",
            "POST /v1/no-such-path HTTP/1.1\r\nHost: " + host + "\r\nAuthorization: Bearer " + key
                    + "\r\nContent-Type: application/json\r\nContent-Length: " + DECLARED + "\r\n\r\n"};
        List<Slow> slow = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            slow.add(new Slow(host, port, heads[i % heads.length].getBytes(StandardCharsets.US_ASCII)));
        }
        // Paced by a scheduler at a fixed rate (one tick per interval), until the duration is over.
        long[] reopened = {0};
        long[] lastReport = {System.nanoTime()};
        ScheduledExecutorService pacer = Executors.newSingleThreadScheduledExecutor();
        pacer.scheduleAtFixedRate(() -> {
            long tick = System.nanoTime();
            int open = 0;
            for (Slow s : slow) {
                reopened[0] += s.tick() ? 1 : 0;
                open += s.socket != null ? 1 : 0;
            }
            if (tick - lastReport[0] >= 10_000_000_000L) {
                System.err.printf("slow clients: %d open, %d reopened after an answer or a close%n", open, reopened[0]);
                lastReport[0] = tick;
            }
        }, 0, interval, TimeUnit.MILLISECONDS);
        pacer.awaitTermination(Math.max(0, end - System.nanoTime()), TimeUnit.NANOSECONDS);
        pacer.shutdown();
        pacer.awaitTermination(interval, TimeUnit.MILLISECONDS);
        slow.forEach(Slow::close);
    }

    /** One slow connection. */
    private static final class Slow {
        private final String host;
        private final int port;
        private final byte[] head;
        private Socket socket;
        private int sent;
        private boolean opened;

        Slow(String host, int port, byte[] head) {
            this.host = host;
            this.port = port;
            this.head = head;
        }

        /** Sends the next body byte, or (re)opens the connection; true if it had to be reopened. */
        boolean tick() {
            boolean reopened = false;
            try {
                if (socket != null && (socket.getInputStream().available() > 0 || sent >= DECLARED - 1)) {
                    close(); // answered (401, 404, 408...) or about to complete: start over
                }
                if (socket == null) {
                    reopened = opened;
                    opened = true;
                    socket = new Socket();
                    socket.connect(new InetSocketAddress(host, port), 5_000);
                    socket.getOutputStream().write(head);
                    sent = 0;
                }
                OutputStream out = socket.getOutputStream();
                out.write('{');
                out.flush();
                sent++;
            } catch (IOException e) {
                close();
            }
            return reopened;
        }

        void close() {
            if (socket != null) {
                try {
                    socket.close();
                } catch (IOException ignored) {
                    // already gone
                }
                socket = null;
            }
        }
    }
}
