package app.apimodels.servlet;

import jakarta.servlet.ServletContext;
import jakarta.servlet.ServletRequest;

import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Whether the client of a request waiting in async mode has closed its HTTP/1.1 connection, on a
 * container that would not say itself: it registers no read interest on a connection whose request
 * body is read, so no {@code AsyncListener} ever hears the close. The {@link ClientWatch} asks
 * once a round, for each exchange that waits for its answer.
 *
 * <p>Each container's probe reaches its internals by reflection only, through the class loader of
 * the container's own {@code ServletContext}: the adapter loads on any server, and where the
 * internals are not as expected the probe says so once and the client's leaving goes unnoticed,
 * as before.
 */
abstract class ClientConnections {

    private static final System.Logger LOG = System.getLogger(ClientConnections.class.getName());

    /** A probe failed in a way the container's internals explain, not the network: said once. */
    private final AtomicBoolean failureLogged = new AtomicBoolean();

    /**
     * The probe for the container of {@code context}, or null: one that reports a close itself, an
     * unknown one, or one whose internals are not as expected (logged once: clients that leave a
     * non-streamed call are then not noticed, as before).
     */
    static ClientConnections find(ServletContext context) {
        if (context == null) {
            return null;
        }
        String type = context.getClass().getName();
        ClassLoader loader = context.getClass().getClassLoader();
        try {
            if (type.startsWith("org.apache.catalina.")) {
                return new TomcatConnections(loader);
            }
            if (type.startsWith("org.eclipse.jetty.")) {
                return new JettyConnections(loader, context.getClass().getPackageName());
            }
            return null;
        } catch (ReflectiveOperationException | RuntimeException | LinkageError e) {
            LOG.log(System.Logger.Level.WARNING, "Cannot watch client connections on {0} ({1}): a client that leaves "
                    + "a non-streamed call is not noticed, and the call runs to its end", context.getServerInfo(), e.toString());
            return null;
        }
    }

    /**
     * The connection {@code request} arrived on, if it is one this probes (HTTP/1.1), else null.
     * Call while the request is in progress.
     */
    abstract Object connectionOf(ServletRequest request);

    /**
     * Whether the client has closed {@code connection}. False when it cannot tell now (it is asked
     * again at the next round). Called only while the exchange waits for its answer, never once it
     * has ended: from then on the container may serve the connection's next request.
     */
    abstract boolean closed(Object connection);

    /**
     * Has the container end the request as it does when it sees an I/O error itself; false if it
     * cannot be asked to (the caller then ends the exchange itself).
     */
    abstract boolean reportClosed(Object connection);

    /** A probe failed in a way the container's internals explain, not the network: logged once. */
    final void unexpected(Throwable e) {
        if (failureLogged.compareAndSet(false, true)) {
            LOG.log(System.Logger.Level.WARNING, "Probing a client connection failed unexpectedly (logged once)", e);
        }
    }
}
