/**
 * Payment gateways: checkout for a credit purchase, verified webhooks turned into gateway-neutral
 * {@link app.apimodels.spi.payment.PaymentEvent}s, refunds and order queries. Amounts are
 * {@link app.apimodels.spi.payment.Money}: integer minor units of an ISO 4217 currency.
 */
package app.apimodels.spi.payment;
