/**
 * Outgoing mail: a {@link app.apimodels.spi.mail.Mailer} sends one
 * {@link app.apimodels.spi.mail.MailMessage} and says whether the mail service accepted it.
 */
package app.apimodels.spi.mail;
