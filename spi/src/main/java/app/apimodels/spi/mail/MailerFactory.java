package app.apimodels.spi.mail;

/**
 * Creates a {@link Mailer} from configuration; found by {@link java.util.ServiceLoader} (and as a
 * CDI bean inside a container) and chosen by {@code apimodels.mail.type}.
 */
public interface MailerFactory {

    /** The configuration name, e.g. {@code smtp}. */
    String type();

    /**
     * @throws IllegalArgumentException naming the setting if the configuration is incomplete or wrong
     */
    Mailer create(MailerConfig config);
}
