package app.apimodels.servlet;

import app.apimodels.core.config.Keys;

import java.nio.file.Path;
import java.util.List;
import java.util.function.UnaryOperator;

/**
 * Where an auto-mounted engine keeps its files when {@code apimodels.data-dir} is not set: the key
 * pepper, the {@code local} media storage and, without a configured database, the embedded H2
 * database. A directory of the server's own, so the data lives as long as the server's, in a folder
 * per application ({@code apimodels/<context>}) so that two applications never share a database.
 *
 * <p>The server is recognised by the system property it sets:
 * <ul>
 *   <li>WildFly: {@code jboss.server.data.dir} ({@code standalone/data});</li>
 *   <li>Payara Server: {@code com.sun.aas.instanceRoot} (the domain directory), then {@code data};
 *       Payara Micro's instance root is a temporary directory unless {@code --rootdir} names one, so a
 *       root under {@code java.io.tmpdir} is not used;</li>
 *   <li>Tomcat: {@code catalina.base}, then {@code data} ({@code work} is Tomcat's cache, often cleared);</li>
 *   <li>Jetty: {@code jetty.base}, then {@code data};</li>
 *   <li>any other: {@code .apimodels} in the home directory of the user running the server.</li>
 * </ul>
 */
final class DataDirectory {

    static final String KEY = Keys.DATA_DIR.key();

    /**
     * A server's property naming a directory, the folder under it that holds application data, and
     * whether a directory in the temporary one means "for this run only".
     */
    private record ServerDirectory(String property, String data, boolean temporaryMeansThrowaway) {
    }

    private static final List<ServerDirectory> SERVERS = List.of(
            new ServerDirectory("jboss.server.data.dir", "", false),
            new ServerDirectory("com.sun.aas.instanceRoot", "data", true),
            new ServerDirectory("catalina.base", "data", false),
            new ServerDirectory("jetty.base", "data", false));

    private DataDirectory() {
    }

    /** The default for the application at {@code contextPath}, from the JVM's system properties. */
    static Path serverDefault(String contextPath) {
        return serverDefault(contextPath, System::getProperty);
    }

    static Path serverDefault(String contextPath, UnaryOperator<String> properties) {
        Path temporary = absolute(properties.apply("java.io.tmpdir"));
        for (ServerDirectory server : SERVERS) {
            Path root = absolute(properties.apply(server.property()));
            if (root == null) {
                continue;
            }
            if (server.temporaryMeansThrowaway() && temporary != null && root.startsWith(temporary)) {
                break; // the server's own directory is for this run only (Payara also sets catalina.base to it)
            }
            return root.resolve(server.data()).resolve("apimodels").resolve(folder(contextPath));
        }
        return Path.of(properties.apply("user.home"), ".apimodels").toAbsolutePath().normalize().resolve(folder(contextPath));
    }

    /** {@code /shop/api} → {@code shop_api}; the root application → {@code ROOT}, as servers name it. */
    static String folder(String contextPath) {
        String name = contextPath.replaceAll("^/+|/+$", "").replaceAll("[^A-Za-z0-9._-]", "_");
        return name.isEmpty() ? "ROOT" : name.matches("\\.+") ? "_" : name;
    }

    private static Path absolute(String path) {
        return path == null || path.isBlank() ? null : Path.of(path).toAbsolutePath().normalize();
    }
}
