package app.apimodels.servlet;

import jakarta.servlet.ServletRequest;

import java.io.IOException;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.nio.ByteBuffer;

/**
 * Tells, on Jetty 12 (ee10 or ee11 servlets), whether the client of a request waiting in async mode
 * has closed its HTTP/1.1 connection. Jetty does not watch such a connection: once the request's
 * body is parsed it registers no fill interest until the response completes, and a read of the
 * ended body answers at once, so neither a failure listener nor an {@code AsyncListener} hears the
 * close.
 *
 * <p>It reaches the connection through Jetty's public API (the servlet request's core
 * {@code ServletContextRequest}, its {@code ConnectionMetaData}), which for HTTP/1.1 is an
 * {@code HttpConnection} of Jetty's {@code internal} package: its parser, fill interest and buffer
 * are read from that class, so a Jetty release that changes them turns the probe off (logged once;
 * JettyConnectionsTest fails once the pinned version is raised to it). Only while the connection's
 * parser has the whole request, its buffer is empty and no one waits to read from it (so Jetty
 * itself does not read until the answer is complete), it fills one byte from its {@code EndPoint}
 * without blocking: end of stream means gone; a byte (the client's next, pipelined request) is
 * handed back through {@code Connection.UpgradeTo.onUpgradeTo}, which puts it in the connection's
 * request buffer, where Jetty parses it first once this request ends; nothing means still there.
 * Jetty cannot be asked to end the request on a close it did not see itself, so
 * {@link #reportClosed} answers false and the exchange ends itself; Jetty then finds the end of
 * stream at its next read and closes the connection.
 *
 * <p>Reflection only, no Jetty types: the class loads on any server. Only HTTP/1.1 connections are
 * probed (not HTTP/2 streams, which share one connection); anything else is left as it was. If
 * Jetty's classes are not as expected, {@link ClientConnections#find} says so once and returns null.
 */
final class JettyConnections extends ClientConnections {

    private final Method servletContextRequest;
    private final Method connectionMetaData;
    private final Method connection;
    private final Class<?> http1;
    private final Method parser;
    private final Method parsed;
    private final Method fillInterested;
    private final Method bufferEmpty;
    private final Method endPoint;
    private final Method fill;
    private final Method unread;

    JettyConnections(ClassLoader jetty, String servletPackage) throws ReflectiveOperationException {
        servletContextRequest = Class.forName(servletPackage + ".ServletContextRequest", false, jetty)
                .getMethod("getServletContextRequest", ServletRequest.class);
        connectionMetaData = Class.forName("org.eclipse.jetty.server.Request", false, jetty).getMethod("getConnectionMetaData");
        connection = connectionMetaData.getReturnType().getMethod("getConnection");
        http1 = Class.forName("org.eclipse.jetty.server.internal.HttpConnection", false, jetty);
        parser = http1.getMethod("getParser");
        parsed = parser.getReturnType().getMethod("isComplete");
        fillInterested = http1.getMethod("isFillInterested");
        bufferEmpty = http1.getMethod("isRequestBufferEmpty");
        endPoint = connection.getReturnType().getMethod("getEndPoint");
        fill = endPoint.getReturnType().getMethod("fill", ByteBuffer.class);
        Class<?> upgradeTo = Class.forName("org.eclipse.jetty.io.Connection$UpgradeTo", false, jetty);
        unread = upgradeTo.getMethod("onUpgradeTo", ByteBuffer.class);
        if (fill.getReturnType() != int.class || parsed.getReturnType() != boolean.class
                || bufferEmpty.getReturnType() != boolean.class
                || !upgradeTo.isAssignableFrom(http1) || !connection.getReturnType().isAssignableFrom(http1)) {
            throw new NoSuchMethodException("Jetty's HttpConnection has other signatures than expected");
        }
    }

    /** HTTP/1.1 only. */
    @Override
    Object connectionOf(ServletRequest request) {
        try {
            Object coreRequest = servletContextRequest.invoke(null, request);
            Object metaData = coreRequest == null ? null : connectionMetaData.invoke(coreRequest);
            Object found = metaData == null ? null : connection.invoke(metaData);
            return http1.isInstance(found) ? found : null;
        } catch (ReflectiveOperationException | RuntimeException e) {
            unexpected(e);
            return null;
        }
    }

    /**
     * False also while Jetty may still read the request (its body not all parsed, or a read
     * pending), and once a byte of a next request is back in the connection's buffer: the client is
     * there, and at most that one byte is ever taken.
     */
    @Override
    boolean closed(Object connection) {
        try {
            if (!(boolean) parsed.invoke(parser.invoke(connection)) || (boolean) fillInterested.invoke(connection)
                    || !(boolean) bufferEmpty.invoke(connection)) {
                return false;
            }
            ByteBuffer one = ByteBuffer.allocate(1).limit(0); // Jetty fills past the limit, into the free space
            int n = (int) fill.invoke(endPoint.invoke(connection), one);
            if (n > 0) {
                unread.invoke(connection, one);
            }
            return n < 0;
        } catch (InvocationTargetException e) {
            if (e.getCause() instanceof IOException) {
                return true; // a reset, or already closed
            }
            unexpected(e.getCause());
            return false;
        } catch (ReflectiveOperationException | RuntimeException e) {
            unexpected(e);
            return false;
        }
    }

    /** Jetty has no way to be told of a close it did not read itself: the exchange ends itself. */
    @Override
    boolean reportClosed(Object connection) {
        return false;
    }
}
