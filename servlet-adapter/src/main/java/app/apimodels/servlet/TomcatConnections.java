package app.apimodels.servlet;

import jakarta.servlet.ServletRequest;
import jakarta.servlet.ServletRequestWrapper;

import java.io.EOFException;
import java.io.IOException;
import java.lang.reflect.Field;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.nio.ByteBuffer;
import java.util.concurrent.locks.Lock;

/**
 * Tells, on Tomcat, whether the client of a request waiting in async mode has closed its HTTP/1.1
 * connection: Tomcat does not watch such a connection (once the body is read it registers no read
 * interest, and {@code ServletInputStream.isReady()} answers false without looking), so without
 * this no listener ever hears the close.
 *
 * <p>It reaches the connection's {@code SocketWrapperBase} through the request (the facade's
 * {@code request}, its coyote request, whose input buffer holds the wrapper) and, holding the
 * wrapper's lock only if the container does not (so never while Tomcat works on the connection),
 * reads one byte without blocking: end of stream means gone; a byte (the client's next, pipelined
 * request) is put back with {@code unRead} for Tomcat to read; nothing means still there. A close
 * is then reported as Tomcat reports an I/O error it sees on another thread (its poller's
 * timeouts): the error set on the wrapper and an {@code ERROR} event dispatched, so the
 * container fires {@code AsyncListener.onError} and closes the connection without an answer.
 *
 * <p>Reflection only, no Tomcat types: the class loads on any server, and the methods it calls
 * differ in return type between Tomcat 10.1 and 11 ({@code getLock}). Only the NIO connector's
 * HTTP/1.1 connections are probed (not HTTP/2 streams, which share one connection, nor NIO2,
 * whose reads complete later on another thread); anything else is left as it was. If Tomcat's
 * internals are not as expected, {@link ClientConnections#find} says so once and returns null.
 */
final class TomcatConnections extends ClientConnections {

    private static final String NIO_WRAPPER = "org.apache.tomcat.util.net.NioEndpoint$NioSocketWrapper";

    private final Class<?> facadeType;
    private final Field facadeRequest;
    private final Method coyoteRequest;
    private final Method inputBuffer;
    private final Class<?> http11InputBuffer;
    private final Field socketWrapper;
    private final Class<?> nioWrapper;
    private final Method lock;
    private final Method read;
    private final Method unRead;
    private final Method setError;
    private final Method processSocket;
    private final Object errorEvent;

    TomcatConnections(ClassLoader tomcat) throws ReflectiveOperationException {
        facadeType = Class.forName("org.apache.catalina.connector.RequestFacade", false, tomcat);
        facadeRequest = accessible(facadeType.getDeclaredField("request"));
        coyoteRequest = facadeRequest.getType().getMethod("getCoyoteRequest");
        inputBuffer = coyoteRequest.getReturnType().getMethod("getInputBuffer");
        http11InputBuffer = Class.forName("org.apache.coyote.http11.Http11InputBuffer", false, tomcat);
        socketWrapper = accessible(http11InputBuffer.getDeclaredField("wrapper"));
        Class<?> wrapperType = socketWrapper.getType();
        nioWrapper = Class.forName(NIO_WRAPPER, false, tomcat);
        lock = wrapperType.getMethod("getLock");
        read = wrapperType.getMethod("read", boolean.class, ByteBuffer.class);
        unRead = wrapperType.getMethod("unRead", ByteBuffer.class);
        setError = wrapperType.getMethod("setError", IOException.class);
        Class<?> eventType = Class.forName("org.apache.tomcat.util.net.SocketEvent", false, tomcat);
        processSocket = wrapperType.getMethod("processSocket", eventType, boolean.class);
        errorEvent = enumConstant(eventType, "ERROR");
        if (!Lock.class.isAssignableFrom(lock.getReturnType()) || read.getReturnType() != int.class
                || !wrapperType.isAssignableFrom(nioWrapper)) {
            throw new NoSuchMethodException("SocketWrapperBase has other signatures than expected");
        }
    }

    /** HTTP/1.1 over the NIO connector only. */
    @Override
    Object connectionOf(ServletRequest request) {
        ServletRequest unwrapped = request;
        while (unwrapped instanceof ServletRequestWrapper wrapper) {
            unwrapped = wrapper.getRequest();
        }
        if (!facadeType.isInstance(unwrapped)) {
            return null;
        }
        try {
            Object connectorRequest = facadeRequest.get(unwrapped);
            Object buffer = connectorRequest == null ? null : inputBuffer.invoke(coyoteRequest.invoke(connectorRequest));
            Object wrapper = http11InputBuffer.isInstance(buffer) ? socketWrapper.get(buffer) : null;
            return nioWrapper.isInstance(wrapper) ? wrapper : null;
        } catch (ReflectiveOperationException | RuntimeException e) {
            unexpected(e);
            return null;
        }
    }

    /** False also while the container works on the connection (its lock is held). */
    @Override
    boolean closed(Object connection) {
        Lock held;
        try {
            held = (Lock) lock.invoke(connection);
        } catch (ReflectiveOperationException | RuntimeException e) {
            unexpected(e);
            return false;
        }
        if (!held.tryLock()) {
            return false;
        }
        try {
            ByteBuffer one = ByteBuffer.allocate(1);
            int n = (int) read.invoke(connection, false, one);
            if (n > 0) {
                unRead.invoke(connection, one.flip());
            }
            return n < 0;
        } catch (InvocationTargetException e) {
            if (e.getCause() instanceof IOException) {
                return true; // end of stream (EOFException), a reset, or already closed
            }
            unexpected(e.getCause());
            return false;
        } catch (ReflectiveOperationException | RuntimeException e) {
            unexpected(e);
            return false;
        } finally {
            held.unlock();
        }
    }

    /** As Tomcat reports an I/O error seen off its own threads. */
    @Override
    boolean reportClosed(Object connection) {
        try {
            setError.invoke(connection, new EOFException("the client closed the connection"));
            processSocket.invoke(connection, errorEvent, true);
            return true;
        } catch (ReflectiveOperationException | RuntimeException e) {
            unexpected(e);
            return false;
        }
    }

    private static Field accessible(Field field) {
        field.setAccessible(true);
        return field;
    }

    private static Object enumConstant(Class<?> type, String name) throws NoSuchFieldException {
        for (Object constant : type.getEnumConstants()) {
            if (((Enum<?>) constant).name().equals(name)) {
                return constant;
            }
        }
        throw new NoSuchFieldException(type.getName() + "." + name);
    }
}
