package app.apimodels.quickstart.e2e;

import java.io.IOException;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

/** Hand-written HTTP/1.1 on a socket, for what a well-behaved client cannot send. */
final class RawHttp {

    private RawHttp() {
    }

    /** Opens a connection and sends {@code head} (request line and headers, without the blank line). */
    static Socket open(int port, String head) throws IOException {
        Socket socket = new Socket("localhost", port);
        socket.setSoTimeout(15_000);
        socket.getOutputStream().write((head + "\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
        socket.getOutputStream().flush();
        return socket;
    }

    /** Everything the server sends until it closes the connection; the socket's timeout fails the test otherwise. */
    static String readToEnd(Socket socket) throws IOException {
        return new String(socket.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    }

    /** Sends {@code head} and {@code body} on a new connection and returns the whole answer. */
    static String exchange(int port, String head, byte[] body) throws IOException {
        try (Socket socket = open(port, head)) {
            socket.getOutputStream().write(body);
            socket.getOutputStream().flush();
            return readToEnd(socket);
        }
    }
}
