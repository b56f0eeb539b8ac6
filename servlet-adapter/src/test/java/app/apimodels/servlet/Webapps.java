package app.apimodels.servlet;

import org.apache.catalina.Context;
import org.apache.catalina.LifecycleException;
import org.apache.catalina.core.StandardContext;
import org.apache.catalina.startup.Constants;
import org.apache.catalina.startup.ContextConfig;
import org.apache.catalina.startup.Tomcat;
import org.apache.tomcat.util.descriptor.web.ContextResource;
import org.apache.tomcat.util.scan.StandardJarScanner;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.lang.ref.WeakReference;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A Tomcat that deploys real web applications: a document base with {@code WEB-INF/lib} holding the
 * adapter jar and its run-time dependencies (and optionally MicroProfile Config, Weld Servlet and a
 * jar of the test's {@code probe} classes), a class loader of its own that sees nothing of the test's
 * class path except the Servlet API, and the container's own discovery of initializers and
 * {@code web-fragment.xml}. What the tests check is thus what a WAR with the jar in it gets.
 */
final class Webapps implements AutoCloseable {

    /** The settings the engine's own embedded database uses, for an H2 database a test opens itself. */
    static final String H2_MODE = ";MODE=PostgreSQL;DATABASE_TO_LOWER=TRUE;DEFAULT_NULL_ORDERING=HIGH";
    private static final Path LISTS = Path.of("target", "webapp-lib");
    private static final HttpClient CLIENT = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    private final Tomcat tomcat;
    private final Path baseDir;

    private Webapps(Tomcat tomcat, Path baseDir) {
        this.tomcat = tomcat;
        this.baseDir = baseDir;
    }

    static Webapps start(Path baseDir) throws LifecycleException {
        Tomcat tomcat = new Tomcat();
        tomcat.setBaseDir(baseDir.resolve("tomcat").toString());
        tomcat.setPort(0);
        tomcat.getConnector();
        tomcat.getHost();
        tomcat.enableNaming(); // as a standalone Tomcat: java:comp/env exists
        // No background processing (reload checks, session expiry: nothing the tests use). Tomcat's
        // utility thread runs it with the context's class loader as its own, even for a context that
        // is stopping, so a leak check that looked then (ours, or Tomcat's own at undeploy) would see a
        // server thread holding the application's loader: the flaky RedeployTest of a clean clone.
        tomcat.getEngine().setBackgroundProcessorDelay(-1);
        tomcat.start();
        return new Webapps(tomcat, baseDir);
    }

    /** An address on this server. */
    URI uri(String path) {
        return URI.create("http://localhost:" + tomcat.getConnector().getLocalPort() + path);
    }

    /** What goes into one web application. */
    static final class Spec {
        final String path;
        final Map<String, String> parameters = new LinkedHashMap<>();
        final Map<String, String> classesFiles = new LinkedHashMap<>();
        final List<String> libraries = new ArrayList<>(List.of("runtime.txt"));
        final List<ContextResource> resources = new ArrayList<>();
        boolean probe;

        Spec(String path) {
            this.path = path;
        }

        Spec param(String name, String value) {
            parameters.put(name, value);
            return this;
        }

        /** A file under {@code WEB-INF/classes}, e.g. {@code META-INF/microprofile-config.properties}. */
        Spec classesFile(String name, String content) {
            classesFiles.put(name, content);
            return this;
        }

        Spec withMicroProfileConfig() {
            libraries.add("microprofile-config.txt");
            return this;
        }

        Spec withCdi() {
            libraries.add("cdi.txt");
            return this;
        }

        /** The probe classes (providers, beans, the /probe servlet) in a bean archive. */
        Spec withProbe() {
            probe = true;
            return this;
        }

        Spec resource(ContextResource resource) {
            resources.add(resource);
            return this;
        }

        /** The engine's data directory, bootstrap admin key and catalog file. */
        Spec engine(Path dataDir, String adminKey, Path catalog) {
            return param("apimodels.data-dir", dataDir.toString())
                    .param("apimodels.bootstrap.admin-key", adminKey)
                    .param("apimodels.catalog", catalog.toString());
        }
    }

    /**
     * Writes {@code dir/catalog.yaml}: one {@code probe-loader} provider {@code id} at {@code baseUrl}
     * (upstream model {@code id}) and one chat model {@code id-chat} on it at 0.001 per request.
     */
    static Path probeChatCatalog(Path dir, String id, String baseUrl) throws IOException {
        return Files.writeString(dir.resolve("catalog.yaml"), """
                providers:
                  - { id: %1$s, type: probe-loader, base-url: "%2$s", api-key: none }
                models:
                  - id: %1$s-chat
                    kind: chat
                    routes: [ { provider: %1$s, upstream-model: %1$s } ]
                    price: { per-request: 0.001 }
                """.formatted(id, baseUrl));
    }

    /** Deploys and starts the application; it has failed to start if {@link Deployment#started()} is false. */
    Deployment deploy(Spec spec) throws IOException {
        Path docBase = baseDir.resolve("webapps").resolve(spec.path.isEmpty() ? "ROOT" : spec.path.substring(1));
        Path lib = Files.createDirectories(docBase.resolve("WEB-INF/lib"));
        jarDirectory(Path.of("target", "classes"), "", lib.resolve("apimodels-servlet.jar"), Map.of());
        for (String list : spec.libraries) {
            for (String entry : Files.readString(LISTS.resolve(list)).strip().split(java.io.File.pathSeparator)) {
                Path source = Path.of(entry);
                if (Files.isDirectory(source)) { // a reactor module not packaged yet
                    jarDirectory(source, "", lib.resolve(source.getParent().getParent().getFileName() + ".jar"), Map.of());
                } else {
                    Files.copy(source, lib.resolve(source.getFileName()), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
                }
            }
        }
        if (spec.probe) {
            jarDirectory(Path.of("target", "test-classes"), "app/apimodels/servlet/probe/", lib.resolve("probe.jar"), Map.of(
                    "META-INF/services/jakarta.servlet.ServletContainerInitializer", "app.apimodels.servlet.probe.ProbeInitializer\n",
                    "META-INF/services/app.apimodels.spi.provider.ModelProvider", "app.apimodels.servlet.probe.LoaderProvider\n",
                    "META-INF/beans.xml", "<beans xmlns=\"https://jakarta.ee/xml/ns/jakartaee\" version=\"4.0\" bean-discovery-mode=\"annotated\"/>\n"));
        }
        // In web.xml, as an application would: Tomcat forgets parameters added from code when it stops the context.
        StringBuilder webXml = new StringBuilder("<web-app xmlns=\"https://jakarta.ee/xml/ns/jakartaee\" version=\"6.0\">\n");
        spec.parameters.forEach((name, value) -> webXml.append("  <context-param><param-name>").append(name)
                .append("</param-name><param-value>").append(value).append("</param-value></context-param>\n"));
        Files.writeString(docBase.resolve("WEB-INF/web.xml"), webXml.append("</web-app>\n"));
        for (var file : spec.classesFiles.entrySet()) {
            Path target = docBase.resolve("WEB-INF/classes").resolve(file.getKey());
            Files.createDirectories(target.getParent());
            Files.writeString(target, file.getValue());
        }

        StandardContext context = new StandardContext();
        context.setName(spec.path);
        context.setPath(spec.path);
        context.setDocBase(docBase.toString());
        // As the sample WAR's META-INF/context.xml: a stopping application waits for its calls in
        // flight instead of Tomcat ending them after 2 s (the engine's own grace bounds the wait).
        context.setUnloadDelay(30_000);
        context.setParentClassLoader(new ServletApiOnly(Webapps.class.getClassLoader()));
        ContextConfig config = new ContextConfig();
        config.setDefaultWebXml(Constants.NoDefaultWebXml); // no default servlet, no JSP
        context.addLifecycleListener(config);
        StandardJarScanner scanner = new StandardJarScanner();
        scanner.setScanClassPath(false); // only WEB-INF/lib, as in a server
        context.setJarScanner(scanner);
        spec.resources.forEach(context.getNamingResources()::addResource);
        tomcat.getHost().addChild(context); // starts it
        return new Deployment(context);
    }

    /** One deployed application. */
    final class Deployment {
        final StandardContext context;

        Deployment(StandardContext context) {
            this.context = context;
        }

        boolean started() {
            return context.getState().isAvailable();
        }

        HttpResponse<String> get(String path, String... headers) throws IOException, InterruptedException {
            return send(request(path, headers).GET().build());
        }

        HttpResponse<String> post(String path, String json, String... headers) throws IOException, InterruptedException {
            return send(request(path, headers).header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(json)).build());
        }

        private HttpRequest.Builder request(String path, String... headers) {
            HttpRequest.Builder builder = HttpRequest.newBuilder(uri(path));
            return headers.length == 0 ? builder : builder.headers(headers);
        }

        URI uri(String path) {
            return Webapps.this.uri(context.getPath() + path);
        }

        /** Gives the admin's own account credits, so calls with the admin key can be paid for. */
        void grantCredits(String adminKey) throws IOException, InterruptedException {
            String auth = "Bearer " + adminKey;
            var account = get("/api/v1/account", "Authorization", auth);
            assertThat(account.statusCode()).as(account.body()).isEqualTo(200);
            String id = account.body().replaceAll("(?s).*\"id\"\\s*:\\s*(\\d+).*", "$1");
            var granted = post("/admin/users/" + id + "/credits", "{\"amount_micros\":1000000,\"reason\":\"test\","
                    + "\"idempotency_key\":\"test-" + System.nanoTime() + "\"}", "Authorization", auth);
            assertThat(granted.statusCode()).as(granted.body()).isEqualTo(201);
        }

        /** A chat completion with the admin key; the answer's body. */
        HttpResponse<String> chat(String adminKey, String model) throws IOException, InterruptedException {
            return post("/v1/chat/completions", "{\"model\":\"" + model + "\",\"messages\":[{\"role\":\"user\","
                    + "\"content\":\"hi\"}]}", "Authorization", "Bearer " + adminKey);
        }

        /** The application's own class loader, weakly: it must be collectable once the application stopped. */
        WeakReference<ClassLoader> classLoader() {
            return new WeakReference<>(context.getLoader().getClassLoader());
        }

        void stop() throws LifecycleException {
            context.stop();
        }

        void start() throws LifecycleException {
            context.start();
        }

        void undeploy() throws LifecycleException {
            context.stop();
            tomcat.getHost().removeChild(context);
        }
    }

    private static HttpResponse<String> send(HttpRequest request) throws IOException, InterruptedException {
        return CLIENT.send(request, HttpResponse.BodyHandlers.ofString());
    }

    /** Jars the files of {@code directory} whose names start with {@code only}, plus {@code extra} ones. */
    private static void jarDirectory(Path directory, String only, Path jar, Map<String, String> extra) throws IOException {
        try (OutputStream out = Files.newOutputStream(jar); JarOutputStream zip = new JarOutputStream(out);
             Stream<Path> files = Files.walk(directory)) {
            for (Path file : (Iterable<Path>) files.filter(Files::isRegularFile)::iterator) {
                String name = directory.relativize(file).toString().replace(java.io.File.separatorChar, '/');
                if (!name.startsWith(only) || extra.containsKey(name)) {
                    continue;
                }
                zip.putNextEntry(new JarEntry(name));
                Files.copy(file, zip);
                zip.closeEntry();
            }
            for (var entry : extra.entrySet()) {
                zip.putNextEntry(new JarEntry(entry.getKey()));
                zip.write(entry.getValue().getBytes(StandardCharsets.UTF_8));
                zip.closeEntry();
            }
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
    }

    /**
     * The parent of every test application's loader: what a server shares with its applications (the
     * Servlet API, and Tomcat's JNDI implementation that java:comp lookups load through the
     * application's loader) and nothing else from the test's class path.
     */
    private static final class ServletApiOnly extends ClassLoader {
        private final ClassLoader container;

        ServletApiOnly(ClassLoader container) {
            super(getPlatformClassLoader());
            this.container = container;
        }

        @Override
        protected Class<?> findClass(String name) throws ClassNotFoundException {
            if (name.startsWith("jakarta.servlet.") || name.startsWith("org.apache.naming.")) {
                return container.loadClass(name);
            }
            throw new ClassNotFoundException(name);
        }

        /** Tomcat defines this class of its own in each application's loader, to deregister JDBC drivers. */
        @Override
        protected java.net.URL findResource(String name) {
            return name.equals("org/apache/catalina/loader/JdbcLeakPrevention.class") ? container.getResource(name) : null;
        }
    }

    /** A DataSource made by H2's own JNDI object factory, as a server's resource definition would. */
    static ContextResource h2Resource(String name, Path database) {
        ContextResource resource = new ContextResource();
        resource.setName(name);
        resource.setType("org.h2.jdbcx.JdbcDataSource");
        resource.setAuth("Container");
        resource.setProperty("factory", "org.h2.jdbcx.JdbcDataSourceFactory");
        resource.setProperty("url", "jdbc:h2:file:" + database + H2_MODE);
        // H2's factory reads every one of these.
        resource.setProperty("user", "sa");
        resource.setProperty("password", "");
        resource.setProperty("description", "apimodels test database");
        resource.setProperty("loginTimeout", "0");
        return resource;
    }

    @Override
    public void close() throws LifecycleException {
        tomcat.stop();
        tomcat.destroy();
    }
}
