package app.apimodels.bench;

import jakarta.servlet.AsyncContext;
import jakarta.servlet.ReadListener;
import jakarta.servlet.ServletInputStream;
import jakarta.servlet.ServletOutputStream;
import jakarta.servlet.WriteListener;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import org.apache.catalina.Context;
import org.apache.catalina.LifecycleState;
import org.apache.catalina.connector.Connector;
import org.apache.catalina.startup.Tomcat;
import org.apache.tomcat.util.modeler.Registry;
import org.eclipse.jetty.client.BytesRequestContent;
import org.eclipse.jetty.client.HttpClient;
import org.eclipse.jetty.client.HttpClientTransport;
import org.eclipse.jetty.client.Request;
import org.eclipse.jetty.client.Response;
import org.eclipse.jetty.client.Result;
import org.eclipse.jetty.client.transport.HttpClientTransportOverHTTP;
import org.eclipse.jetty.ee10.servlet.ServletContextHandler;
import org.eclipse.jetty.ee10.servlet.ServletHolder;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpMethod;
import org.eclipse.jetty.http2.client.HTTP2Client;
import org.eclipse.jetty.http2.client.transport.HttpClientTransportOverHTTP2;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.thread.QueuedThreadPool;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The host's ceiling: a bare relay with no engine. An async servlet receives the POST body with
 * Servlet non-blocking I/O, forwards it to the upstream with Jetty's non-blocking {@link HttpClient}
 * (as {@code integrations/jetty-transport} does, over HTTP/1.1 or h2c) and writes the answer back:
 * an event stream piece by piece as it arrives, with non-blocking writes, anything else whole. Hosted on embedded
 * Tomcat 11, connector set up as the quickstart set it up while it ran on Tomcat, or on an embedded Jetty 12 server
 * (ee10 servlet), so the two hosts are compared with the same servlet and the same load generator.
 */
final class Relay {
    private static final int MAX_ANSWER_BYTES = 16 * 1024 * 1024;
    /** The first upstream failures go to stderr (the relay's log), to tell what failed streams met. */
    private static final AtomicInteger FAILURES_LOGGED = new AtomicInteger();

    private Relay() {
    }

    static void main(String[] args) throws Exception {
        Options options = new Options(args, Set.of("server", "port", "upstream", "transport", "tomcat-set"), Set.of());
        String server = options.string("server", "tomcat");
        int port = options.integer("port", 18090);
        String upstream = options.string("upstream", "http://127.0.0.1:18081") + "/v1/chat/completions";
        // As integrations/jetty-transport: HTTP/1.1 (one connection per call in flight), or HTTP/2
        // with prior knowledge (h2c), many streams over one connection.
        HttpClientTransport protocol = switch (options.string("transport", "jetty")) {
            case "jetty" -> new HttpClientTransportOverHTTP();
            case "jetty-http2" -> new HttpClientTransportOverHTTP2(new HTTP2Client());
            default -> throw new IllegalArgumentException("--transport jetty|jetty-http2, not " + options.string("transport", ""));
        };

        QueuedThreadPool clientThreads = new QueuedThreadPool();
        clientThreads.setName("relay-client");
        clientThreads.setDaemon(true);
        HttpClient client = new HttpClient(protocol);
        client.setExecutor(clientThreads);
        client.setMaxConnectionsPerDestination(1024);
        // The gateway's transport lets as many wait for a connection (thousands of streams open within seconds).
        client.setMaxRequestsQueuedPerDestination(4096);
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
        Connector connector = new SmallResponseBuffers();
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

    /** As the quickstart's connector was on Tomcat: a 1 KiB response buffer per call in flight, not 8 KiB. */
    private static final class SmallResponseBuffers extends Connector {
        SmallResponseBuffers() {
            super("HTTP/1.1");
        }

        @Override
        public org.apache.catalina.connector.Response createResponse(org.apache.coyote.Response coyoteResponse) {
            return new org.apache.catalina.connector.Response(coyoteResponse, 1024);
        }
    }

    /**
     * Jetty 12 with its defaults (one HTTP/1.1 connector, the default thread pool), but for two:
     * the accept queue is Tomcat's default (acceptCount 100) rather than the JDK's 50, so a ramp of
     * connections meets the same backlog on both; and no per-connection cache of parsed header
     * fields, a trie of ~72 KiB of char[] per connection that ran a 1 GiB relay out of memory
     * with 10,000 held-open streams (as it did the mock, which turns it off too).
     */
    private static Server startJetty(int port, HttpServlet servlet) throws Exception {
        Server jetty = new Server();
        HttpConfiguration http = new HttpConfiguration();
        http.setHeaderCacheSize(0);
        ServerConnector connector = new ServerConnector(jetty, new HttpConnectionFactory(http));
        connector.setPort(port);
        connector.setAcceptQueueSize(100);
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

        /** Any GET: 200, to tell that the relay is up. */
        @Override
        protected void doGet(HttpServletRequest request, HttpServletResponse response) {
            response.setStatus(200);
        }

        @Override
        protected void doPost(HttpServletRequest request, HttpServletResponse response) throws IOException {
            AsyncContext async = request.startAsync();
            async.setTimeout(0);
            ServletInputStream in = request.getInputStream();
            int length = Math.max(request.getContentLength(), 256);
            in.setReadListener(new ReadListener() {
                // The container keeps its listener until the call ends: both are dropped once read,
                // as the servlet adapter drops its own, so a held-open stream does not keep them.
                private byte[] buffer = new byte[4096];
                private ByteArrayOutputStream body = new ByteArrayOutputStream(length);

                @Override
                public void onDataAvailable() throws IOException {
                    while (buffer != null && in.isReady()) {
                        int n = in.read(buffer);
                        if (n < 0) {
                            return;
                        }
                        body.write(buffer, 0, n);
                    }
                }

                @Override
                public void onAllDataRead() {
                    byte[] read = body.toByteArray();
                    buffer = null;
                    body = null;
                    Request forwarded = client.newRequest(upstream).method(HttpMethod.POST)
                            .body(new BytesRequestContent("application/json", read));
                    forwarded.send(new Answer(forwarded, response, async));
                }

                @Override
                public void onError(Throwable failure) {
                    response.setStatus(400);
                    async.complete();
                }
            });
        }
    }

    /**
     * The upstream's answer, passed on. An event stream goes to the client piece by piece as it
     * arrives, with Servlet non-blocking writes: the next piece is asked of the upstream only once
     * the container took the last one (as the gateway's servlet adapter and Jetty transport do), so
     * no thread ever waits on a client. Any other answer is buffered and written whole, with its length.
     */
    private static final class Answer implements Response.HeadersListener, Response.AsyncContentListener,
            Response.CompleteListener, WriteListener {
        private final Request forwarded;
        private final HttpServletResponse response;
        private final AsyncContext async;
        /** Not an event stream: the answer so far; null for an event stream. */
        private ByteArrayOutputStream buffered;
        private ServletOutputStream out;
        /** The piece not yet handed to the container, and who asks the upstream for the next one. */
        private byte[] unsent;
        private Runnable demander;
        private boolean unflushed;
        private boolean written = true;
        private boolean upstreamDone;
        private boolean finished;

        Answer(Request forwarded, HttpServletResponse response, AsyncContext async) {
            this.forwarded = forwarded;
            this.response = response;
            this.async = async;
        }

        @Override
        public void onHeaders(Response answer) {
            String type = answer.getHeaders().get(HttpHeader.CONTENT_TYPE);
            if (answer.getStatus() != 200 || type == null || !type.startsWith("text/event-stream")) {
                buffered = new ByteArrayOutputStream();
                return;
            }
            response.setStatus(200);
            response.setContentType(type);
            response.setHeader("Cache-Control", "no-cache");
            try {
                response.flushBuffer(); // the head now, so the client sees the stream has begun
                synchronized (this) {
                    out = response.getOutputStream();
                    out.setWriteListener(this);
                }
            } catch (IOException | IllegalStateException e) {
                clientGone();
            }
        }

        @Override
        public void onContent(Response answer, Content.Chunk chunk, Runnable next) {
            ByteBuffer piece = chunk.getByteBuffer();
            byte[] bytes = new byte[piece.remaining()];
            piece.get(bytes);
            boolean ready;
            synchronized (this) {
                if (finished) {
                    return;
                }
                if (buffered != null) {
                    if (buffered.size() + bytes.length > MAX_ANSWER_BYTES) {
                        forwarded.abort(new IOException("answer larger than " + MAX_ANSWER_BYTES + " bytes"));
                        return;
                    }
                    buffered.write(bytes, 0, bytes.length);
                    ready = true;
                } else {
                    unsent = bytes;
                    ready = write();
                    demander = ready ? null : next; // onWritePossible asks for the next piece then
                }
            }
            if (ready) {
                next.run();
            }
        }

        /** On a container thread: the client read enough for the container to take more. */
        @Override
        public void onWritePossible() {
            Runnable next = null;
            synchronized (this) {
                if (finished || !write()) {
                    return;
                }
                if (upstreamDone) {
                    finish();
                } else {
                    next = demander;
                    demander = null;
                }
            }
            if (next != null) {
                next.run();
            }
        }

        /**
         * Caller holds the monitor. Hands the container the unsent piece and flushes, as far as it
         * takes them without blocking; says whether all is out. When not, the container calls
         * {@link #onWritePossible} once it can take more.
         */
        private boolean write() {
            written = false;
            try {
                while (out.isReady()) {
                    if (unsent != null) {
                        out.write(unsent);
                        unsent = null;
                        unflushed = true;
                    } else if (unflushed) {
                        unflushed = false;
                        out.flush();
                    } else {
                        written = true;
                        return true;
                    }
                }
            } catch (IOException e) {
                finish(); // the client left
                forwarded.abort(e);
            }
            return false;
        }

        @Override
        public void onComplete(Result result) {
            if (result.isFailed() && FAILURES_LOGGED.getAndIncrement() < 20) {
                System.err.println("upstream call failed: " + result.getFailure());
            }
            synchronized (this) {
                if (finished) {
                    return;
                }
                upstreamDone = true;
                if (buffered != null) {
                    writeWhole(result);
                } else if (out == null) {
                    response.setStatus(502); // failed before its head: the client sees an error, not an empty answer
                    finish();
                } else if (written) {
                    finish(); // else onWritePossible does, once the rest is out
                }
            }
        }

        private void writeWhole(Result result) {
            try {
                if (result.isFailed()) {
                    response.setStatus(502);
                } else {
                    byte[] answer = buffered.toByteArray();
                    response.setStatus(result.getResponse().getStatus());
                    response.setContentType(result.getResponse().getHeaders().get(HttpHeader.CONTENT_TYPE));
                    response.setContentLength(answer.length);
                    response.getOutputStream().write(answer);
                }
            } catch (IOException e) {
                // the client left; nothing to answer
            } finally {
                finish();
            }
        }

        /** The container could not write: the client left. */
        @Override
        public void onError(Throwable failure) {
            clientGone();
        }

        private void clientGone() {
            synchronized (this) {
                if (finished) {
                    return;
                }
                finish();
            }
            forwarded.abort(new IOException("the client left"));
        }

        /** Caller holds the monitor. */
        private void finish() {
            finished = true;
            async.complete();
        }
    }
}
