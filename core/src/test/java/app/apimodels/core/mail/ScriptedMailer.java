package app.apimodels.core.mail;

import app.apimodels.spi.mail.MailMessage;
import app.apimodels.spi.mail.Mailer;
import app.apimodels.spi.mail.SendResult;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A mailer that records every message it is handed and answers what the test scripted (accepted
 * when nothing is scripted). For the sender's own logic; the real mailers are tested at the wire.
 */
public final class ScriptedMailer implements Mailer {

    private final String type;
    private final List<MailMessage> sent;
    private final Deque<SendResult> script = new ArrayDeque<>();

    public ScriptedMailer(String type) {
        this(type, new CopyOnWriteArrayList<>());
    }

    /** A mailer recording into {@code sent}, which several mailers (nodes) may share. */
    public ScriptedMailer(String type, List<MailMessage> sent) {
        this.type = type;
        this.sent = sent;
    }

    /** The next sends answer these, in order. */
    public synchronized ScriptedMailer answer(SendResult... results) {
        script.addAll(List.of(results));
        return this;
    }

    public List<MailMessage> sent() {
        return sent;
    }

    @Override
    public String type() {
        return type;
    }

    @Override
    public SendResult send(MailMessage message) {
        sent.add(message);
        synchronized (this) {
            SendResult next = script.poll();
            return next == null ? SendResult.accepted("msg-" + message.idempotencyKey()) : next;
        }
    }
}
