package app.apimodels.console.operators;

import app.apimodels.core.privacy.PrivacyRequest;
import app.apimodels.core.web.ApiException;
import app.apimodels.core.web.Request;

/** Privacy requests (exports, corrections, erasures, restrictions, objections) with when each is due; filter by account and state. */
final class PrivacyPage extends OperatorSection {

    static final String PATH = "/console/admin/privacy";

    @Override
    void routes() {
        page("nav.ops.privacy", PATH);
        get(PATH, this::list);
    }

    private void list(Request r) {
        Long account = number(r, "account");
        String stateName = query(r, "state", 20);
        PrivacyRequest.State state = null;
        if (stateName != null) {
            try {
                state = PrivacyRequest.State.of(stateName);
            } catch (IllegalArgumentException e) {
                throw ApiException.badRequest("state", "state is not one of the requests' states");
            }
        }
        console.render(r, 200, "operators/privacy.jte", "ops.privacy.title", model(r,
                "requests", services.privacyRequests().list(account, state, null, 200), "now", services.clock().millis(),
                "account", account == null ? "" : account.toString(), "state", stateName == null ? "" : stateName,
                "states", java.util.Arrays.stream(PrivacyRequest.State.values()).map(PrivacyRequest.State::dbValue).toList()));
    }
}
