package app.apimodels.testkit.web;

import app.apimodels.spi.web.Exchange;

import java.time.Duration;
import java.util.Map;
import java.util.TreeMap;

/** The in-memory exchange keeps the contract every server adapter keeps, so tests on it mean something. */
class MockExchangeContractTest extends ExchangeContract {

    private static final long LIMIT = 64;

    @Override
    protected Sent send(ClientRequest request) {
        MockExchange.Builder b = MockExchange.builder(request.method(), request.pathAndQuery())
                .body(request.body()).maxBodyBytes(LIMIT);
        request.headers().forEach(b::header);
        MockExchange exchange = b.build();
        Exchange served = serve(exchange);
        return new Sent() {
            @Override
            public Exchange exchange() {
                return served;
            }

            @Override
            public Received awaitResponse(Duration timeout) {
                return received(exchange.awaitAnswer(timeout));
            }

            @Override
            public Received awaitBodyContaining(String text, Duration timeout) {
                exchange.awaitEvents(timeout, events -> String.join("", events).contains(text));
                return received(exchange.received());
            }

            @Override
            public void leave() {
                exchange.leave();
            }
        };
    }

    /** The exchange the contract is run on; {@link ExchangeContractCatchesFlawsTest} wraps it in a flawed one. */
    Exchange serve(MockExchange exchange) {
        return exchange;
    }

    @Override
    protected long bodyLimit() {
        return LIMIT;
    }

    private static Received received(MockExchange.Answer a) {
        Map<String, String> headers = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
        headers.putAll(a.headers());
        if (a.contentType() != null) {
            headers.put("Content-Type", a.contentType());
        }
        return new Received() {
            @Override
            public int status() {
                return a.status();
            }

            @Override
            public String header(String name) {
                return headers.get(name);
            }

            @Override
            public byte[] body() {
                return a.body();
            }
        };
    }
}
