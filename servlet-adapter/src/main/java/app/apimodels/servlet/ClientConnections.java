package app.apimodels.servlet;

import jakarta.servlet.ServletContext;
import jakarta.servlet.ServletRequest;

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
interface ClientConnections {

    /** The probe for the container of {@code context}, or null: one that reports a close itself, or an unknown one. */
    static ClientConnections find(ServletContext context) {
        if (context == null) {
            return null;
        }
        String type = context.getClass().getName();
        if (type.startsWith("org.apache.catalina.")) {
            return TomcatConnections.find(context);
        }
        if (type.startsWith("org.eclipse.jetty.")) {
            return JettyConnections.find(context);
        }
        return null;
    }

    /**
     * The connection {@code request} arrived on, if it is one this probes (HTTP/1.1), else null.
     * Call while the request is in progress.
     */
    Object connectionOf(ServletRequest request);

    /**
     * Whether the client has closed {@code connection}. False when it cannot tell now (it is asked
     * again at the next round). Called only while the exchange waits for its answer, never once it
     * has ended: from then on the container may serve the connection's next request.
     */
    boolean closed(Object connection);

    /**
     * Has the container end the request as it does when it sees an I/O error itself; false if it
     * cannot be asked to (the caller then ends the exchange itself).
     */
    boolean reportClosed(Object connection);
}
