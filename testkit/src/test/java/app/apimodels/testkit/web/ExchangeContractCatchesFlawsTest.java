package app.apimodels.testkit.web;

import app.apimodels.spi.web.EventStream;
import app.apimodels.spi.web.Exchange;
import app.apimodels.spi.web.ForwardingExchange;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.platform.testkit.engine.EngineTestKit;
import org.junit.platform.testkit.engine.Event;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;

/**
 * The exchange contract fails an exchange with any of the mistakes the engine could not live
 * with: each flawed exchange below (the in-memory one with one thing done wrong) is run through the
 * whole contract and must fail the test aimed at its mistake, while the same exchange without the
 * flaw passes ({@link MockExchangeContractTest}). The flawed classes are nested, so the build does
 * not run them directly.
 */
class ExchangeContractCatchesFlawsTest {

    static Stream<Arguments> flaws() {
        return Stream.of(
                Arguments.of(CaseSensitiveHeaders.class, List.of("exposesTheRequestAsSent")),
                Arguments.of(EventStreamAfterAnAnswer.class, List.of("answersOnceFromAnyThreadAndIgnoresASecondAnswer")),
                Arguments.of(ClientGoneNeverReported.class, List.of("reportsOnceThatTheClientLeft")),
                Arguments.of(FileLeftOpen.class, List.of("sendsAStreamedBodyWithItsLengthAndClosesIt")));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("flaws")
    void theContractFailsTheFlawedExchangeWhereTheFlawShows(Class<?> flawed, List<String> expectedFailures) {
        List<Event> failures = EngineTestKit.engine("junit-jupiter").selectors(selectClass(flawed)).execute()
                .testEvents().failed().list();

        assertThat(failures).extracting(event -> event.getTestDescriptor().getLegacyReportingName())
                .extracting(name -> name.substring(0, name.indexOf('(')))
                .as("tests of the contract failing for %s", flawed.getSimpleName())
                .containsAll(expectedFailures);
    }

    /** Looks headers up by their exact spelling. */
    static final class CaseSensitiveHeaders extends MockExchangeContractTest {
        @Override
        Exchange serve(MockExchange exchange) {
            Map<String, String> exact = new HashMap<>(exchange.headers());
            return new ForwardingExchange(exchange) {
                @Override
                public String header(String name) {
                    return exact.get(name);
                }

                @Override
                public Map<String, String> headers() {
                    return exact;
                }
            };
        }
    }

    /** Opens an event stream although the exchange was answered. */
    static final class EventStreamAfterAnAnswer extends MockExchangeContractTest {
        @Override
        Exchange serve(MockExchange exchange) {
            return new ForwardingExchange(exchange) {
                @Override
                public EventStream openEventStream() {
                    if (!exchange.answered()) {
                        return exchange.openEventStream();
                    }
                    return new EventStream() {
                        @Override
                        public boolean send(byte[] bytes) {
                            return false;
                        }

                        @Override
                        public void close() {
                        }

                        @Override
                        public void onClientGone(Runnable action) {
                        }
                    };
                }
            };
        }
    }

    /** Forgets what to do when the client leaves. */
    static final class ClientGoneNeverReported extends MockExchangeContractTest {
        @Override
        protected java.time.Duration timeout() {
            return java.time.Duration.ofSeconds(1); // in memory nothing is slow: waiting longer proves nothing more
        }

        @Override
        Exchange serve(MockExchange exchange) {
            return new ForwardingExchange(exchange) {
                @Override
                public EventStream openEventStream() {
                    EventStream inner = exchange.openEventStream();
                    return new EventStream() {
                        @Override
                        public boolean send(byte[] bytes) {
                            return inner.send(bytes);
                        }

                        @Override
                        public void close() {
                            inner.close();
                        }

                        @Override
                        public void onClientGone(Runnable action) {
                            // dropped
                        }
                    };
                }
            };
        }
    }

    /** Sends a file but never closes its stream. */
    static final class FileLeftOpen extends MockExchangeContractTest {
        @Override
        Exchange serve(MockExchange exchange) {
            return new ForwardingExchange(exchange) {
                @Override
                public void respond(int status, String contentType, Map<String, String> headers, InputStream body, long length) {
                    try {
                        byte[] bytes = body.readAllBytes();
                        exchange.respond(status, contentType, headers, new java.io.ByteArrayInputStream(bytes), length);
                    } catch (IOException e) {
                        throw new UncheckedIOException(e);
                    }
                }
            };
        }
    }
}
