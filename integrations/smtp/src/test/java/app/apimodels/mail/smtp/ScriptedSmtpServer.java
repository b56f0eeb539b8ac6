package app.apimodels.mail.smtp;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Just enough of an SMTP server (RFC 5321) to answer one step with a chosen reply: the failures a
 * real relay gives (a full mailbox, greylisting, a refused sender) that GreenMail does not.
 * It offers AUTH PLAIN without STARTTLS, accepts any login and records the commands it got.
 */
final class ScriptedSmtpServer implements AutoCloseable {

    private final ServerSocket socket;
    private final String rcptReply;
    private final String dataReply;
    private final List<String> commands = new CopyOnWriteArrayList<>();
    private final Thread acceptor;

    /** Answers RCPT TO with {@code rcptReply} and the end of DATA with {@code dataReply}. */
    ScriptedSmtpServer(String rcptReply, String dataReply) throws IOException {
        this.socket = new ServerSocket(0, 10, InetAddress.getLoopbackAddress());
        this.rcptReply = rcptReply;
        this.dataReply = dataReply;
        this.acceptor = new Thread(this::serve, "scripted-smtp");
        acceptor.setDaemon(true);
        acceptor.start();
    }

    int port() {
        return socket.getLocalPort();
    }

    /** The command verbs received, in order (AUTH's payload left out). */
    List<String> commands() {
        return List.copyOf(commands);
    }

    private void serve() {
        while (!socket.isClosed()) {
            try (Socket client = socket.accept()) {
                converse(client);
            } catch (IOException e) {
                if (!socket.isClosed()) {
                    throw new UncheckedIOException(e);
                }
            }
        }
    }

    private void converse(Socket client) throws IOException {
        BufferedReader in = new BufferedReader(new InputStreamReader(client.getInputStream(), StandardCharsets.US_ASCII));
        OutputStream out = client.getOutputStream();
        reply(out, "220 scripted.test ESMTP");
        for (String line; (line = in.readLine()) != null; ) {
            String verb = line.split("[ :]", 2)[0].toUpperCase(java.util.Locale.ROOT);
            commands.add(verb);
            switch (verb) {
                case "EHLO" -> reply(out, "250-scripted.test\r\n250-AUTH PLAIN LOGIN\r\n250 8BITMIME");
                case "AUTH" -> reply(out, "235 2.7.0 Authentication successful");
                case "MAIL", "RSET", "NOOP" -> reply(out, "250 2.1.0 OK");
                case "RCPT" -> reply(out, rcptReply);
                case "DATA" -> {
                    reply(out, "354 End data with <CR><LF>.<CR><LF>");
                    for (String data; (data = in.readLine()) != null && !data.equals("."); ) {
                        // the message itself is not kept
                    }
                    reply(out, dataReply);
                }
                case "QUIT" -> {
                    reply(out, "221 2.0.0 Bye");
                    return;
                }
                default -> reply(out, "502 5.5.2 Command not implemented");
            }
        }
    }

    private static void reply(OutputStream out, String reply) throws IOException {
        out.write((reply + "\r\n").getBytes(StandardCharsets.US_ASCII));
        out.flush();
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
