package app.apimodels.core.web;

import java.util.Map;

/**
 * A failure to report to the client. {@link ErrorRenderer} turns it into the shape the
 * endpoint family promises (OpenAI's, apimodels.app's or RFC 9457).
 *
 * @see ErrorRenderer
 */
public final class ApiException extends RuntimeException {

    private final int status;
    private final String code;
    private final String param;
    private final Map<String, String> headers;

    public ApiException(int status, String code, String message, String param, Map<String, String> headers) {
        super(message, null, false, false);
        this.status = status;
        this.code = code;
        this.param = param;
        this.headers = headers == null ? Map.of() : Map.copyOf(headers);
    }

    public ApiException(int status, String code, String message) {
        this(status, code, message, null, null);
    }

    public static ApiException badRequest(String param, String message) {
        return new ApiException(400, "invalid_request", message, param, null);
    }

    public static ApiException notFound(String what) {
        return new ApiException(404, "not_found", what + " not found");
    }

    public int status() {
        return status;
    }

    public String code() {
        return code;
    }

    public String param() {
        return param;
    }

    public Map<String, String> headers() {
        return headers;
    }
}
