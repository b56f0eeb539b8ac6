package app.apimodels.spi.provider;

/**
 * What an upstream had sent when its event stream ended before the vendor's last event: the cause
 * of the {@link ProviderException.Kind#NETWORK} failure {@link EventStreamRelay} reports then, for an
 * operator's log (the failure's message, which a client may see, stays generic). It names no key
 * and carries no request: the answer's status and content type, how much of it came, and the start
 * of its last event (the upstream's own output, cut short).
 */
public final class StreamCut extends RuntimeException {

    private final int status;
    private final String contentType;
    private final long bytes;
    private final long events;
    private final int lastEventBytes;
    private final String lastEvent;

    /**
     * @param lastEventBytes the length of the last event's data
     * @param lastEvent      its start, printable ASCII as it is and other bytes as {@code \xNN}, with
     *                       {@code ...} when it goes on; null when no event came
     */
    public StreamCut(int status, String contentType, long bytes, long events, int lastEventBytes, String lastEvent) {
        super(null, null, false, false); // a report, not a failure of this code: no stack trace
        this.status = status;
        this.contentType = contentType;
        this.bytes = bytes;
        this.events = events;
        this.lastEventBytes = lastEventBytes;
        this.lastEvent = lastEvent;
    }

    public int status() {
        return status;
    }

    /** The answer's {@code Content-Type}, or null when it had none. */
    public String contentType() {
        return contentType;
    }

    /** Body bytes received. */
    public long bytes() {
        return bytes;
    }

    /** Events parsed from them (keep-alives not counted). */
    public long events() {
        return events;
    }

    /** The length of the last event's data (0 when there was none). */
    public int lastEventBytes() {
        return lastEventBytes;
    }

    /** The start of the last event's data, or null when there was none. */
    public String lastEvent() {
        return lastEvent;
    }

    @Override
    public String getMessage() {
        return "status " + status + ", content type " + (contentType == null ? "none" : contentType) + ", " + bytes
                + " bytes in " + events + " events" + (lastEvent == null ? "" : "; the last one, " + lastEventBytes + " bytes: " + lastEvent);
    }
}
