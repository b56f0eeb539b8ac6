package app.apimodels.transport.jetty;

import app.apimodels.spi.http.HttpRequestSpec;
import app.apimodels.spi.http.HttpTransport;
import app.apimodels.spi.http.TransportOptions;
import com.github.tomakehurst.wiremock.WireMockServer;
import org.eclipse.jetty.http2.api.Session;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.lang.reflect.Modifier;
import java.net.URI;
import java.util.Arrays;
import java.util.List;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * An HTTP/2 stream outlives the pool's idle time (4 s, for unused connections): an upstream may
 * be silent for longer (a model thinking before it answers), and only the request's own limits
 * bound that silence. Jetty would close the connection, and fail every stream on it, as idle.
 */
class JettyHttp2SilenceTest {

    private static final int SILENT_MILLIS = 6_000;

    private WireMockServer server;
    private HttpTransport transport;

    @BeforeEach
    void start() {
        server = new WireMockServer(options().dynamicPort().gzipDisabled(true));
        server.start();
        server.stubFor(get("/thinking").willReturn(aResponse().withFixedDelay(SILENT_MILLIS).withBody("answer")));
        transport = JettyHttpTransport.http2(new TransportOptions(Duration.ofSeconds(5), 1));
    }

    @AfterEach
    void stop() {
        transport.close();
        server.stop();
    }

    @Test
    void aStreamSilentLongerThanThePoolsIdleTimeIsNotCut() throws Exception {
        CollectedBody stream = new CollectedBody();
        transport.stream(HttpRequestSpec.get(URI.create(server.baseUrl() + "/thinking"), Map.of(), Duration.ofSeconds(20)), stream);
        assertThat(stream.body.get(15, TimeUnit.SECONDS)).isEqualTo("answer");
    }

    /** The idle rule wraps Jetty's own session listener: a method it does not pass on would lose Jetty's handling. */
    @Test
    void theIdleRulePassesEverySessionEventOnToJettysListener() throws Exception {
        Class<?> rule = Class.forName(JettyHttpTransport.class.getName() + "$IdleOnlyWithoutStreams");
        List<String> events = Arrays.stream(Session.Listener.class.getMethods())
                .filter(m -> !Modifier.isStatic(m.getModifiers())).map(m -> m.getName() + Arrays.toString(m.getParameterTypes())).toList();
        List<String> declared = Arrays.stream(rule.getDeclaredMethods())
                .map(m -> m.getName() + Arrays.toString(m.getParameterTypes())).toList();
        assertThat(declared).containsAll(events);
    }
}
