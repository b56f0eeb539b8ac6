package app.apimodels.bench;

import jakarta.servlet.AsyncContext;
import jakarta.servlet.ReadListener;
import jakarta.servlet.ServletInputStream;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import org.apache.catalina.Context;
import org.apache.catalina.LifecycleState;
import org.apache.catalina.connector.Connector;
import org.apache.catalina.startup.Tomcat;
import org.apache.tomcat.util.modeler.Registry;
import org.eclipse.jetty.client.BufferingResponseListener;
import org.eclipse.jetty.client.BytesRequestContent;
import org.eclipse.jetty.client.HttpClient;
import org.eclipse.jetty.client.Result;
import org.eclipse.jetty.ee10.servlet.ServletContextHandler;
import org.eclipse.jetty.ee10.servlet.ServletHolder;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpMethod;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.thread.QueuedThreadPool;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;

/**
 * The host's ceiling: a bare relay with no engine. An async servlet receives the POST body with
 * Servlet non-blocking I/O, forwards it to the upstream with Jetty's non-blocking {@link HttpClient}
 * (as {@code integrations/jetty-transport} does) and writes the answer back. Hosted on embedded
 * Tomcat 11, connector set up as the quickstart sets it up, or on an embedded Jetty 12 server
 * (ee10 servlet), so the two hosts are compared with the same servlet and the same load generator.
 */
final class Relay {
    private static final int MAX_ANSWER_BYTES = 16 * 1024 * 1024;

    private Relay() {
    }

    static void main(String[] args) throws Exception {
        Options options = new Options(args, Set.of("server", "port", "upstream", "tomcat-set"), Set.of());
        String server = options.string("server", "tomcat");
        int port = options.integer("port", 18090);
        String upstream = options.string("upstream", "http://127.0.0.1:18081") + "/v1/chat/completions";

        QueuedThreadPool clientThreads = new QueuedThreadPool();
        clientThreads.setName("relay-client");
        clientThreads.setDaemon(true);
        HttpClient client = new HttpClient();
        client.setExecutor(clientThreads);
        client.setMaxConnectionsPerDestination(1024);
        client.setFollowRedirects(false);
        client.start();
        HttpServlet servlet = new RelayServlet(client, upstream);

        switch (server) {
            case "tomcat" -> startTomcat(port, servlet, options.string("tomcat-set", "")).getServer().await();
            case "jetty" -> startJetty(port, servlet).join();
            default -> throw new IllegalArgumentException("--server tomcat|jetty, not " + server);
        }
    }

    /**
     * The quickstart's connector settings (samples/quickstart Quickstart.startTomcat), minus the
     * engine, then {@code overrides} ({@code name=value,...}, connector properties) to try others.
     */
    private static Tomcat startTomcat(int port, HttpServlet servlet, String overrides) throws Exception {
        Registry.disableRegistry();
        Path base = Files.createTempDirectory("apimodels-relay-tomcat"); // bench/relay.sh deletes its tmpdir
        Tomcat tomcat = new Tomcat();
        tomcat.setBaseDir(base.toString());
        Connector connector = new Connector("HTTP/1.1");
        connector.setPort(port);
        connector.setProperty("maxConnections", "20000");
        connector.setProperty("processorCache", "20000");
        connector.setProperty("socket.appReadBufSize", "4096");
        connector.setProperty("socket.appWriteBufSize", "4096");
        for (String setting : overrides.split(",")) {
            String[] nameValue = setting.split("=", 2);
            if (!setting.isBlank() && (nameValue.length != 2 || !connector.setProperty(nameValue[0], nameValue[1]))) {
                throw new IllegalArgumentException("--tomcat-set: not a connector property: " + setting);
            }
        }
        tomcat.setConnector(connector);
        Context context = tomcat.addContext("", null);
        Tomcat.addServlet(context, "relay", servlet).setAsyncSupported(true);
        context.addServletMappingDecoded("/*", "relay");
        tomcat.start();
        if (connector.getState() != LifecycleState.STARTED) {
            throw new IllegalStateException("Tomcat could not listen on port " + port);
        }
        return tomcat;
    }

    /** Jetty 12 with its defaults: one HTTP/1.1 connector, the default thread pool. */
    private static Server startJetty(int port, HttpServlet servlet) throws Exception {
        Server jetty = new Server();
        ServerConnector connector = new ServerConnector(jetty);
        connector.setPort(port);
        jetty.addConnector(connector);
        ServletContextHandler context = new ServletContextHandler("/");
        ServletHolder holder = new ServletHolder("relay", servlet);
        holder.setAsyncSupported(true);
        context.addServlet(holder, "/*");
        jetty.setHandler(context);
        jetty.start();
        return jetty;
    }

    private static final class RelayServlet extends HttpServlet {
        private final transient HttpClient client;
        private final String upstream;

        RelayServlet(HttpClient client, String upstream) {
            this.client = client;
            this.upstream = upstream;
        }

        @Override
        protected void doPost(HttpServletRequest request, HttpServletResponse response) throws IOException {
            AsyncContext async = request.startAsync();
            async.setTimeout(0);
            ServletInputStream in = request.getInputStream();
            ByteArrayOutputStream body = new ByteArrayOutputStream(Math.max(request.getContentLength(), 256));
            in.setReadListener(new ReadListener() {
                private final byte[] buffer = new byte[4096];

                @Override
                public void onDataAvailable() throws IOException {
                    while (in.isReady()) {
                        int n = in.read(buffer);
                        if (n < 0) {
                            return;
                        }
                        body.write(buffer, 0, n);
                    }
                }

                @Override
                public void onAllDataRead() {
                    forward(body.toByteArray(), response, async);
                }

                @Override
                public void onError(Throwable failure) {
                    response.setStatus(400);
                    async.complete();
                }
            });
        }

        private void forward(byte[] body, HttpServletResponse response, AsyncContext async) {
            client.newRequest(upstream).method(HttpMethod.POST)
                    .body(new BytesRequestContent("application/json", body))
                    .send(new BufferingResponseListener(MAX_ANSWER_BYTES) {
                        @Override
                        public void onComplete(Result result) {
                            try {
                                if (result.isFailed()) {
                                    response.setStatus(502);
                                } else {
                                    byte[] answer = getContent();
                                    response.setStatus(result.getResponse().getStatus());
                                    response.setContentType(result.getResponse().getHeaders().get(HttpHeader.CONTENT_TYPE));
                                    response.setContentLength(answer.length);
                                    response.getOutputStream().write(answer);
                                }
                            } catch (IOException e) {
                                // the client left; nothing to answer
                            } finally {
                                async.complete();
                            }
                        }
                    });
        }
    }
}
