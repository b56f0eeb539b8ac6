package app.apimodels.servlet;

import jakarta.servlet.ServletContainerInitializer;
import org.apache.catalina.Context;
import org.apache.catalina.LifecycleException;
import org.apache.catalina.startup.Tomcat;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/** A Tomcat on a free port with one context, set up by an initializer, as a real container for the tests. */
final class EmbeddedTomcat implements AutoCloseable {

    private final Tomcat tomcat;

    private EmbeddedTomcat(Tomcat tomcat) {
        this.tomcat = tomcat;
    }

    static EmbeddedTomcat start(Path baseDir, String contextPath, ServletContainerInitializer initializer)
            throws LifecycleException {
        Tomcat tomcat = new Tomcat();
        tomcat.setBaseDir(baseDir.toString());
        tomcat.setPort(0);
        tomcat.getConnector();
        Context context = tomcat.addContext(contextPath, null);
        context.addServletContainerInitializer(initializer, null);
        tomcat.start();
        return new EmbeddedTomcat(tomcat);
    }

    URI uri(String path) {
        return URI.create("http://localhost:" + tomcat.getConnector().getLocalPort() + path);
    }

    /**
     * Sends a hand-written request head (request line and headers, without the blank line) and
     * returns the open socket, for what {@code HttpClient} cannot do: declare a body it never sends,
     * or drop the connection mid-response.
     */
    Socket sendHead(String head) throws IOException {
        Socket socket = new Socket("localhost", tomcat.getConnector().getLocalPort());
        socket.setSoTimeout(10_000);
        socket.getOutputStream().write((head + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
        socket.getOutputStream().flush();
        return socket;
    }

    /** The status line of the response on a socket opened by {@link #sendHead}. */
    static String readStatusLine(Socket socket) throws IOException {
        return new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.US_ASCII)).readLine();
    }

    @Override
    public void close() throws LifecycleException {
        tomcat.stop();
        tomcat.destroy();
    }
}
