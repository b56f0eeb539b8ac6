package app.apimodels.spi.web;

import java.io.InputStream;
import java.util.Map;

/**
 * An exchange that passes every method, defaults included, to an inner exchange (like the
 * Servlet API's {@code HttpServletRequestWrapper}). Subclass it to change one or two things about
 * an exchange, e.g. to record its answer, without repeating the methods that stay the same; a
 * wrapper written by hand tends to forget a default method such as {@link #readBody} or
 * {@link #onClientGone}, and then silently loses what the adapter does there. The engine reads
 * bodies with {@link #readBody(Exchange.Sender, Runnable)}: a wrapper that intercepts body reads
 * overrides that form.
 */
public abstract class ForwardingExchange implements Exchange {

    private final Exchange inner;

    protected ForwardingExchange(Exchange inner) {
        this.inner = inner;
    }

    /** The exchange this one passes to. */
    protected Exchange inner() {
        return inner;
    }

    @Override
    public String method() {
        return inner.method();
    }

    @Override
    public String path() {
        return inner.path();
    }

    @Override
    public String query(String name) {
        return inner.query(name);
    }

    @Override
    public String rawQuery() {
        return inner.rawQuery();
    }

    @Override
    public String header(String name) {
        return inner.header(name);
    }

    @Override
    public Map<String, String> headers() {
        return inner.headers();
    }

    @Override
    public String baseUrl() {
        return inner.baseUrl();
    }

    @Override
    public String remoteAddress() {
        return inner.remoteAddress();
    }

    @Override
    public void readBody(Runnable next) {
        inner.readBody(next);
    }

    @Override
    public void readBody(Sender sender, Runnable next) {
        inner.readBody(sender, next);
    }

    @Override
    public byte[] body() {
        return inner.body();
    }

    @Override
    public boolean bodyTooLarge() {
        return inner.bodyTooLarge();
    }

    @Override
    public InputStream bodyStream() {
        return inner.bodyStream();
    }

    @Override
    public void respond(Response response) {
        inner.respond(response);
    }

    @Override
    public void respond(int status, String contentType, Map<String, String> headers, InputStream body, long length) {
        inner.respond(status, contentType, headers, body, length);
    }

    @Override
    public void onClientGone(Runnable action) {
        inner.onClientGone(action);
    }

    @Override
    public EventStream openEventStream() {
        return inner.openEventStream();
    }
}
