package app.apimodels.testkit.payment;

import java.util.Set;

/** The payment contract passes on a gateway that does everything right. */
class ReferenceGatewayContractTest extends ReferenceGatewayFixture {
    @Override
    Set<ReferenceGateway.Flaw> flaws() {
        return Set.of();
    }
}
