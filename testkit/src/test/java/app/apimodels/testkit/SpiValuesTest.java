package app.apimodels.testkit;

import app.apimodels.spi.mail.MailMessage;
import app.apimodels.spi.mail.SendResult;
import app.apimodels.spi.payment.Checkout;
import app.apimodels.spi.payment.Money;
import app.apimodels.spi.payment.PaymentEvent;
import app.apimodels.spi.payment.PaymentStatus;
import app.apimodels.spi.payment.WebhookAcknowledgement;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The checks the payment and mail SPI's value records make on what they are given (the SPI has no tests of its own). */
class SpiValuesTest {

    @ParameterizedTest(name = "{0} {1} is {2} minor units")
    @CsvSource({"19.99, USD, 1999", "0.29, USD, 29", "20, USD, 2000", "19.990, USD, 1999", "1999, JPY, 1999",
            "20000000.01, CNY, 2000000001"})
    void decimalAmountsAreReadExactly(String amount, String currency, long minorUnits) {
        Money money = Money.ofDecimal(amount, currency);

        assertThat(money).isEqualTo(new Money(minorUnits, currency));
        assertThat(Money.ofDecimal(money.toDecimalString(), currency)).isEqualTo(money);
    }

    @ParameterizedTest(name = "{0} {1}")
    @CsvSource({"19.999, USD", "1.5, JPY", "-1, USD", "1e3, USD", "'', USD", "1.00, usd", "1.00, XYZ"})
    void amountsThatAreNotWholeMinorUnitsOfAKnownCurrencyAreRefused(String amount, String currency) {
        assertThatThrownBy(() -> Money.ofDecimal(amount, currency)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void amountsAreNeverNegative() {
        assertThatThrownBy(() -> new Money(-1, "USD")).isInstanceOf(IllegalArgumentException.class);
        assertThat(new Money(1999, "USD")).hasToString("19.99 USD");
    }

    @Test
    void aCheckoutHasARedirectOrAQrCodeNotBothOrNeither() {
        URI page = URI.create("https://pay.example/c/1");

        assertThat(Checkout.redirect("g1", page, null).redirectUrl()).isEqualTo(page);
        assertThat(Checkout.qrCode("g1", "https://qr.alipay.com/bax1", null).qrCode()).isNotBlank();
        assertThatThrownBy(() -> new Checkout("g1", page, "https://qr.alipay.com/bax1", null)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new Checkout("g1", null, " ", null)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void noMoreIsRefundedThanPaidAndInOneCurrency() {
        assertThatThrownBy(() -> new PaymentStatus("g1", PaymentStatus.State.PAID, new Money(100, "USD"), new Money(101, "USD")))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new PaymentStatus("g1", PaymentStatus.State.PAID, new Money(100, "USD"), new Money(0, "CNY")))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void onlyARefundCanCarryARunningTotal() {
        Money amount = new Money(500, "USD");

        assertThat(new PaymentEvent("evt_1", PaymentEvent.Kind.REFUNDED, "o1", null, amount, null, true).cumulative()).isTrue();
        assertThat(new PaymentEvent("evt_2", PaymentEvent.Kind.REFUNDED, "o1", null, amount, null).cumulative()).isFalse();
        assertThatThrownBy(() -> new PaymentEvent("evt_3", PaymentEvent.Kind.DISPUTED, "o1", null, amount, null, true))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void anAcknowledgementIsASuccessWithItsExactBody() {
        assertThat(new String(WebhookAcknowledgement.text("success").body(), StandardCharsets.UTF_8)).isEqualTo("success");
        assertThat(WebhookAcknowledgement.text("success").contentType()).startsWith("text/plain");
        assertThatThrownBy(() -> new WebhookAcknowledgement(400, null, new byte[0])).isInstanceOf(IllegalArgumentException.class);
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"subject", "to", "from", "replyTo", "idempotencyKey"})
    void aLineBreakCannotAddHeaders(String field) {
        String injected = "x@example.test\r\nBcc: everyone@example.test";

        assertThatThrownBy(() -> new MailMessage(field.equals("from") ? injected : null,
                List.of(field.equals("to") ? injected : "a@example.test"), field.equals("subject") ? injected : "Hi", "body", null,
                Map.of(), field.equals("replyTo") ? injected : null, field.equals("idempotencyKey") ? injected : null))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining(field);
    }

    @Test
    void aMessageHasARecipientABodyAndPlainTags() {
        assertThatThrownBy(() -> new MailMessage(null, List.of(), "Hi", "body", null, Map.of(), null, null))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new MailMessage(null, List.of("a@example.test"), "Hi", null, null, Map.of(), null, null))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new MailMessage(null, List.of("a@example.test"), "Hi", "body", null, Map.of("kind", "a b"), null, null))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void aSendResultIsAcceptedOrRefusedWithAReason() {
        assertThat(SendResult.accepted("<id@x>").accepted()).isTrue();
        assertThat(SendResult.refused("mailbox full", true).retryable()).isTrue();
        assertThatThrownBy(() -> new SendResult(true, "<id@x>", "but also an error", false)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new SendResult(false, null, null, true)).isInstanceOf(IllegalArgumentException.class);
    }
}
