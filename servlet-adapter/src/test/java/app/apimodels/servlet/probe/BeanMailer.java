package app.apimodels.servlet.probe;

import app.apimodels.spi.mail.MailMessage;
import app.apimodels.spi.mail.Mailer;
import app.apimodels.spi.mail.SendResult;
import jakarta.enterprise.context.ApplicationScoped;

/** A mailer that exists only as a CDI bean: the engine must list it among its plug-ins. */
@ApplicationScoped
public class BeanMailer implements Mailer {

    @Override
    public String type() {
        return "probe-mail";
    }

    @Override
    public SendResult send(MailMessage message) {
        throw new UnsupportedOperationException("the probe only proves discovery");
    }
}
