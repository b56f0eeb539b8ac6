package app.apimodels.testkit;

import com.github.tomakehurst.wiremock.client.ResponseDefinitionBuilder;
import com.github.tomakehurst.wiremock.extension.ResponseDefinitionTransformerV2;
import com.github.tomakehurst.wiremock.http.ResponseDefinition;
import com.github.tomakehurst.wiremock.stubbing.ServeEvent;
import com.github.tomakehurst.wiremock.verification.LoggedRequest;

import java.util.function.Function;

/**
 * The WireMock extension behind the stateful mocks ({@link MockTaskUpstream}, {@link MockStripe}):
 * every request of a stub that names it is answered by code from the mock's state, not by a
 * canned response.
 */
final class WireMockRouter implements ResponseDefinitionTransformerV2 {

    private final String name;
    private final Function<LoggedRequest, ResponseDefinitionBuilder> route;

    WireMockRouter(String name, Function<LoggedRequest, ResponseDefinitionBuilder> route) {
        this.name = name;
        this.route = route;
    }

    @Override
    public ResponseDefinition transform(ServeEvent serveEvent) {
        return route.apply(serveEvent.getRequest()).build();
    }

    @Override
    public boolean applyGlobally() {
        return false;
    }

    @Override
    public String getName() {
        return name;
    }
}
