package app.apimodels.spi.payment;

import java.util.Currency;
import java.util.Objects;

/**
 * An amount of money as gateways count it: whole minor units (cents, fen) of an ISO 4217
 * currency. Never a floating-point number, so no amount is ever rounded on its way through.
 *
 * @param minorUnits the amount in the currency's smallest unit, e.g. {@code 1999} for USD 19.99
 *                   or JPY 1,999; never negative
 * @param currency   the ISO 4217 code, upper case, e.g. {@code USD}, {@code CNY}
 */
public record Money(long minorUnits, String currency) {
    public Money {
        Objects.requireNonNull(currency, "currency");
        if (minorUnits < 0) {
            throw new IllegalArgumentException("an amount is never negative: " + minorUnits);
        }
        if (!currency.matches("[A-Z]{3}")) {
            throw new IllegalArgumentException("currency must be an upper-case ISO 4217 code, not '" + currency + "'");
        }
        try {
            Currency.getInstance(currency);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("unknown ISO 4217 currency '" + currency + "'", e);
        }
    }

    /** Digits after the decimal point in the currency's major unit (2 for USD and CNY, 0 for JPY). */
    public int fractionDigits() {
        return Math.max(0, Currency.getInstance(currency).getDefaultFractionDigits());
    }

    /** The amount in major units as a gateway writes it, e.g. {@code 19.99}; exact, no rounding. */
    public String toDecimalString() {
        return java.math.BigDecimal.valueOf(minorUnits, fractionDigits()).toPlainString();
    }

    /**
     * Reads an amount in major units as a gateway writes it ({@code "19.99"}, {@code "20"}).
     *
     * @throws IllegalArgumentException if it is not a plain decimal or has more digits after the
     *                                  point than the currency has minor units
     */
    public static Money ofDecimal(String amount, String currency) {
        Objects.requireNonNull(amount, "amount");
        if (!amount.matches("\\d+(\\.\\d+)?")) {
            throw new IllegalArgumentException("not a plain decimal amount: '" + amount + "'");
        }
        int digits = Math.max(0, Currency.getInstance(currency).getDefaultFractionDigits());
        try {
            return new Money(new java.math.BigDecimal(amount).movePointRight(digits).longValueExact(), currency);
        } catch (ArithmeticException e) {
            throw new IllegalArgumentException("'" + amount + "' is not a whole number of " + currency + " minor units", e);
        }
    }

    @Override
    public String toString() {
        return toDecimalString() + " " + currency;
    }
}
