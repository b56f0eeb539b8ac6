package app.apimodels.core.fetch;

import app.apimodels.core.threads.Threads;
import org.apache.hc.client5.http.classic.methods.HttpGet;
import org.apache.hc.client5.http.classic.methods.HttpPost;
import org.apache.hc.client5.http.classic.methods.HttpUriRequestBase;
import org.apache.hc.client5.http.config.ConnectionConfig;
import org.apache.hc.client5.http.config.RequestConfig;
import org.apache.hc.client5.http.config.TlsConfig;
import org.apache.hc.client5.http.impl.classic.CloseableHttpClient;
import org.apache.hc.client5.http.impl.classic.HttpClients;
import org.apache.hc.client5.http.impl.io.PoolingHttpClientConnectionManagerBuilder;
import org.apache.hc.client5.http.protocol.HttpClientContext;
import org.apache.hc.core5.http.ClassicHttpResponse;
import org.apache.hc.core5.http.ContentType;
import org.apache.hc.core5.http.Header;
import org.apache.hc.core5.http.HttpEntity;
import org.apache.hc.core5.http.HttpHeaders;
import org.apache.hc.core5.http.io.entity.ByteArrayEntity;
import org.apache.hc.core5.io.CloseMode;
import org.apache.hc.core5.util.TimeValue;
import org.apache.hc.core5.util.Timeout;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.URI;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ScheduledThreadPoolExecutor;

/**
 * The one way the service fetches a URL a user gave it (image_url, input_urls, upload by URL,
 * callback_url, provider output URLs): http(s) only, to public addresses only (checked on the address
 * actually connected, on every redirect hop), bounded in size and time. See the package documentation
 * for the reasoning behind each rule. Thread-safe; share one per service and close it on shutdown.
 */
public final class SafeFetcher implements AutoCloseable {

    /** How much of a callback's answer is read before it is dropped. */
    static final int POST_ANSWER_LIMIT = 64 * 1024;

    private static final Set<Integer> REDIRECTS = Set.of(301, 302, 303, 307, 308);

    private final FetchPolicy policy;
    private final Vetter vetter;
    private final CloseableHttpClient client;
    private final Threads.Daemons timerThreads = new Threads.Daemons("apimodels-fetch-deadline");
    private final ScheduledThreadPoolExecutor timer;

    public SafeFetcher(FetchPolicy policy) {
        this(policy, InetAddress::getAllByName);
    }

    /** With a resolver of names to addresses other than the system's, for tests. */
    SafeFetcher(FetchPolicy policy, Vetter.NameResolver names) {
        this.policy = Objects.requireNonNull(policy, "policy");
        this.vetter = new Vetter(policy.allowedPrivateHosts(), Objects.requireNonNull(names, "names"));
        Timeout connect = Timeout.of(policy.connectTimeout());
        // Pooled connections are keyed by route (scheme, canonical host, port, no proxy), and every one
        // was opened to addresses the Vetter passed for exactly that host and port under this immutable
        // policy. Reusing one therefore reaches an address already vetted for the same host:port; a
        // name newly rebound to a private address gets a fresh lookup, and is refused, on the next
        // connection it needs.
        var connections = PoolingHttpClientConnectionManagerBuilder.create()
                .setDnsResolver(vetter)
                .setDefaultConnectionConfig(ConnectionConfig.custom()
                        .setConnectTimeout(connect)
                        .setSocketTimeout(Timeout.of(policy.totalTimeout()))
                        .setTimeToLive(TimeValue.ofMinutes(5))
                        .build())
                .setDefaultTlsConfig(TlsConfig.custom().setHandshakeTimeout(connect).build())
                .setMaxConnTotal(64)
                .setMaxConnPerRoute(8)
                .build();
        // No proxies (system properties are not read), no redirects, retries, cookies, credentials or
        // transparent decompression: each would act on the user's URL outside the checks made here.
        this.client = HttpClients.custom()
                .setConnectionManager(connections)
                .disableRedirectHandling()
                .disableAutomaticRetries()
                .disableCookieManagement()
                .disableAuthCaching()
                .disableContentCompression()
                .evictIdleConnections(TimeValue.ofSeconds(30))
                .setUserAgent(policy.userAgent())
                .build();
        this.timer = new ScheduledThreadPoolExecutor(1, timerThreads);
        timer.setRemoveOnCancelPolicy(true);
    }

    /**
     * GET following redirects, each hop checked like the first. The returned body's stream fails with
     * {@code too_large} once more than {@code maxBytes} arrive; a declared Content-Length above it fails
     * here. Non-2xx → {@code http_status} with the status.
     *
     * @param timeout the whole fetch including reading the body; capped by the policy's total timeout,
     *        null for that
     */
    public FetchedBody get(URI url, long maxBytes, Duration timeout) throws FetchException {
        if (maxBytes < 0) {
            throw new IllegalArgumentException("maxBytes must not be negative");
        }
        Deadline deadline = deadline(timeout);
        try {
            URI current = url;
            for (int redirects = 0; ; redirects++) {
                Target target = Target.of(current);
                HttpGet request = target.address(new HttpGet("/"));
                ClassicHttpResponse response = send(request, target, deadline);
                int status = response.getCode();
                Header location = REDIRECTS.contains(status) ? response.getFirstHeader(HttpHeaders.LOCATION) : null;
                if (location != null) {
                    release(request, response, false);
                    if (redirects == policy.maxRedirects()) {
                        throw FetchException.tooManyRedirects(target.host(), policy.maxRedirects());
                    }
                    current = target.resolve(location.getValue());
                    continue;
                }
                if (status / 100 != 2) {
                    release(request, response, false);
                    throw FetchException.httpStatus(target.host(), status);
                }
                HttpEntity entity = response.getEntity();
                if (entity != null && entity.getContentLength() > maxBytes) {
                    release(request, response, false);
                    throw FetchException.tooLarge(target.host(), maxBytes);
                }
                return new FetchedBody(current, response, request, deadline,
                        content(request, response, deadline, target), maxBytes, target.host());
            }
        } catch (FetchException | RuntimeException e) {
            deadline.finish();
            throw e;
        }
    }

    /**
     * POST, for callbacks. Redirects are not followed: a 3xx, like any other non-2xx, fails with
     * {@code http_status}. Up to 64 KiB of the answer are read and dropped.
     *
     * @return the 2xx status
     */
    public int post(URI url, byte[] body, String contentType, Map<String, String> headers, Duration timeout)
            throws FetchException {
        Target target = Target.of(url);
        HttpPost request = target.address(new HttpPost("/"));
        headers.forEach(request::setHeader);
        request.setEntity(new ByteArrayEntity(body, ContentType.parse(contentType)));
        Deadline deadline = deadline(timeout);
        try {
            ClassicHttpResponse response = send(request, target, deadline);
            int status = response.getCode();
            if (status / 100 != 2) {
                release(request, response, false);
                throw FetchException.httpStatus(target.host(), status);
            }
            release(request, response, readAnswer(response.getEntity()));
            return status;
        } finally {
            deadline.finish();
        }
    }

    /** Checks a URL as a fetch would (scheme, host, every address it resolves to) without connecting. */
    public void check(URI url) throws FetchException {
        Target target = Target.of(url);
        vetter.vet(target.host(), target.port());
    }

    @Override
    public void close() {
        client.close(CloseMode.IMMEDIATE);
        Threads.stop(timer);
        timerThreads.awaitEnd();
    }

    /** Hands back the connection of a finished exchange, or cuts it when the body was not read to the end. */
    static void release(HttpUriRequestBase request, ClassicHttpResponse response, boolean readToEnd) {
        if (!readToEnd) {
            // Closing a response drains what is left of its body to keep the connection; cancelling
            // first discards the connection instead, so an unwanted body costs nothing.
            request.cancel();
        }
        try {
            response.close();
        } catch (IOException e) {
            // The connection is discarded by the client after a failed close; nothing is left to clean up.
        }
    }

    private Deadline deadline(Duration timeout) {
        Duration budget = policy.totalTimeout();
        if (timeout != null) {
            if (timeout.isNegative() || timeout.isZero()) {
                throw new IllegalArgumentException("timeout must be positive");
            }
            budget = timeout.compareTo(budget) < 0 ? timeout : budget;
        }
        return Deadline.start(timer, budget);
    }

    private ClassicHttpResponse send(HttpUriRequestBase request, Target target, Deadline deadline) throws FetchException {
        Timeout left = deadline.remaining();
        request.setConfig(RequestConfig.custom()
                .setConnectionRequestTimeout(left)
                .setResponseTimeout(left)
                .setProtocolUpgradeEnabled(false)
                .build());
        deadline.watch(request);
        try {
            return client.executeOpen(target.httpHost(), request, HttpClientContext.create());
        } catch (IOException e) {
            throw deadline.explain(e, target.host());
        }
    }

    private static InputStream content(HttpUriRequestBase request, ClassicHttpResponse response, Deadline deadline,
            Target target) throws FetchException {
        try {
            InputStream content = response.getEntity() == null ? null : response.getEntity().getContent();
            return content == null ? InputStream.nullInputStream() : content;
        } catch (IOException e) {
            release(request, response, false);
            throw deadline.explain(e, target.host());
        }
    }

    /** Whether the answer ended within the limit. Its content does not matter, nor does failing to read it. */
    private static boolean readAnswer(HttpEntity entity) {
        if (entity == null) {
            return true;
        }
        try {
            // Not closed here: closing would drain the rest; release() keeps or cuts the connection.
            InputStream in = entity.getContent();
            byte[] buffer = new byte[8192];
            long total = 0;
            for (int n; (n = in.read(buffer)) >= 0; ) {
                total += n;
                if (total > POST_ANSWER_LIMIT) {
                    return false;
                }
            }
            return true;
        } catch (IOException e) {
            return false;
        }
    }
}
