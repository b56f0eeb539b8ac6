package app.apimodels.testkit;

import app.apimodels.spi.provider.Usage;
import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.client.ResponseDefinitionBuilder;

import java.time.Duration;

import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;

/**
 * What every vendor's WireMock chat upstream shares: the server, the usage it reports and the
 * faults {@link ChatUpstream} can switch on. Each switch records its state and re-installs the
 * vendor's stubs ({@link #install()}), which read these fields; the vendor's class adds its wire
 * format, its error shape and its own switches.
 *
 * @param <S> the vendor's class, so the switches chain into its own methods
 */
abstract class WireMockChatUpstream<S extends WireMockChatUpstream<S>> implements ChatUpstream {

    /** How streams end when a fault is switched on. */
    protected enum StreamFault { NONE, CUT, BROKEN }

    protected final WireMockServer server = new WireMockServer(options().dynamicPort().gzipDisabled(true));
    protected Usage usage;
    protected Duration delay;
    protected boolean resetConnections;
    protected boolean omitStreamUsage;
    protected StreamFault streamFault;
    /** The answer every call gets instead of the vendor's, or null. */
    protected ResponseDefinitionBuilder error;

    protected WireMockChatUpstream() {
        server.start();
    }

    /** Replaces the server's stubs with the vendor's answers for the current state. */
    protected abstract void install();

    @SuppressWarnings("unchecked")
    private S self() {
        return (S) this;
    }

    /** Back to no fault and {@code defaultUsage}; the vendor's reset then forgets its own switches and installs. */
    protected void resetFaults(Usage defaultUsage) {
        usage = defaultUsage;
        delay = Duration.ZERO;
        resetConnections = false;
        omitStreamUsage = false;
        streamFault = StreamFault.NONE;
        error = null;
        server.resetAll();
    }

    /** The underlying server, for verifying requests. */
    public WireMockServer server() {
        return server;
    }

    @Override
    public Usage usage() {
        return usage;
    }

    @Override
    public S usage(Usage usage) {
        this.usage = usage;
        install();
        return self();
    }

    /** Delays every answer (head included) by {@code delay}. */
    @Override
    public S delayResponses(Duration delay) {
        this.delay = delay;
        install();
        return self();
    }

    /** Resets every connection instead of answering. */
    @Override
    public S resetConnections() {
        resetConnections = true;
        install();
        return self();
    }

    /**
     * Ends every stream cleanly at the HTTP level after a few pieces, without the vendor's end of
     * stream: what a client sees when the upstream dies mid-answer behind a proxy.
     */
    @Override
    public S cutStreams() {
        streamFault = StreamFault.CUT;
        install();
        return self();
    }

    /** Breaks every stream at the HTTP level (a malformed chunk, then the connection closes). */
    @Override
    public S breakStreams() {
        streamFault = StreamFault.BROKEN;
        install();
        return self();
    }

    /** Leaves the usage out of streams (even when the request asked for it). */
    @Override
    public S omitStreamUsage() {
        omitStreamUsage = true;
        install();
        return self();
    }

    @Override
    public void close() {
        server.stop();
    }
}
