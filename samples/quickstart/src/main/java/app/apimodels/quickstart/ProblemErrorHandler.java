package app.apimodels.quickstart;

import app.apimodels.core.web.ErrorRenderer;
import org.eclipse.jetty.http.HttpException;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpStatus;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.handler.ErrorHandler;
import org.eclipse.jetty.util.Callback;

import java.nio.ByteBuffer;

import static java.nio.charset.StandardCharsets.UTF_8;

/**
 * Jetty's error page in the API's own shape: what the container answers by itself (a request line
 * or header it cannot parse, a bad chunk, an ambiguous path) becomes a short
 * {@code application/problem+json} with the status alone, never Jetty's HTML page with the
 * exception's message, its stack trace or the server's version.
 */
final class ProblemErrorHandler extends ErrorHandler {

    @Override
    public boolean handle(Request request, Response response, Callback callback) {
        int status = request.getAttribute(ERROR_EXCEPTION) instanceof HttpException failure ? failure.getCode()
                : response.getStatus();
        response.setStatus(status);
        if (HttpStatus.hasNoBody(status)) {
            callback.succeeded();
            return true;
        }
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/problem+json");
        byte[] problem = ("{\"type\":\"about:blank\",\"title\":\"" + ErrorRenderer.title(status) + "\",\"status\":" + status + "}")
                .getBytes(UTF_8);
        response.getHeaders().put(HttpHeader.CONTENT_LENGTH, problem.length);
        response.write(true, ByteBuffer.wrap(problem), callback);
        return true;
    }
}
