package app.apimodels.servlet;

import jakarta.servlet.ServletContainerInitializer;
import org.apache.catalina.Context;
import org.apache.catalina.LifecycleException;
import org.apache.catalina.startup.Tomcat;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/** A Tomcat on a free port with one context, set up by an initializer, as a real container for the tests. */
final class EmbeddedTomcat implements ClientGoneScenario.Container {

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

    @Override
    public int port() {
        return tomcat.getConnector().getLocalPort();
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
