package app.apimodels.testkit.payment;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.platform.testkit.engine.EngineTestKit;
import org.junit.platform.testkit.engine.Event;

import java.util.List;
import java.util.Set;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;

/**
 * The payment contract fails a gateway with any of the mistakes that would credit a payment twice,
 * credit a forged one or lose a cent: each flawed gateway below is run through the whole contract
 * and must fail (at least) the tests aimed at its mistake, while the same gateway without flaws
 * passes ({@link ReferenceGatewayContractTest}). The flawed classes are nested, so the build does
 * not run them directly.
 */
class PaymentGatewayContractCatchesFlawsTest {

    static Stream<Arguments> flaws() {
        return Stream.of(
                Arguments.of(FloatingPointAmounts.class, List.of("paidAmountsAreExactToTheMinorUnit",
                        "amountsInDeliveriesAreExactToTheMinorUnit")),
                Arguments.of(NoSignatureCheck.class, List.of("aForgedDeliveryIsRefused", "anAlteredDeliveryIsRefused",
                        "anUnsignedOrStaleDeliveryIsRefused")),
                Arguments.of(RandomEventIds.class, List.of("theSameDeliveryReadTwiceIsTheSameEvent",
                        "aRedeliveredEventKeepsItsIdAndAnotherEventHasAnother")),
                Arguments.of(NoIdempotency.class, List.of("aRetriedCheckoutIsTheSameCheckout",
                        "aRefundIsMadeOncePerIdempotencyKeyAndShowsInTheOrder")));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("flaws")
    void theContractFailsTheFlawedGatewayWhereTheFlawShows(Class<?> flawed, List<String> expectedFailures) {
        List<Event> failures = EngineTestKit.engine("junit-jupiter").selectors(selectClass(flawed)).execute()
                .testEvents().failed().list();

        assertThat(failures).extracting(event -> event.getTestDescriptor().getLegacyReportingName())
                .extracting(name -> name.substring(0, name.indexOf('(')))
                .as("tests of the contract failing for %s", flawed.getSimpleName())
                .containsAll(expectedFailures);
    }

    static final class FloatingPointAmounts extends ReferenceGatewayFixture {
        @Override
        Set<ReferenceGateway.Flaw> flaws() {
            return Set.of(ReferenceGateway.Flaw.FLOATING_POINT_AMOUNTS);
        }
    }

    static final class NoSignatureCheck extends ReferenceGatewayFixture {
        @Override
        Set<ReferenceGateway.Flaw> flaws() {
            return Set.of(ReferenceGateway.Flaw.NO_SIGNATURE_CHECK);
        }
    }

    static final class RandomEventIds extends ReferenceGatewayFixture {
        @Override
        Set<ReferenceGateway.Flaw> flaws() {
            return Set.of(ReferenceGateway.Flaw.RANDOM_EVENT_IDS);
        }
    }

    static final class NoIdempotency extends ReferenceGatewayFixture {
        @Override
        Set<ReferenceGateway.Flaw> flaws() {
            return Set.of(ReferenceGateway.Flaw.NO_IDEMPOTENCY);
        }
    }
}
