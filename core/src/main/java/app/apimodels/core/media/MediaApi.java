package app.apimodels.core.media;

import app.apimodels.core.api.Params;

import app.apimodels.core.auth.Caller;
import app.apimodels.core.fetch.FetchException;
import app.apimodels.core.web.ApiException;
import app.apimodels.spi.web.Exchange;
import app.apimodels.core.web.Request;
import app.apimodels.spi.web.Response;
import app.apimodels.spi.storage.NoSuchObjectException;
import app.apimodels.spi.storage.ObjectContent;
import app.apimodels.spi.storage.StorageException;

import java.io.IOException;
import java.net.URI;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code POST /api/v1/uploads} (multipart, streamed; or JSON {@code {url}} fetched safely),
 * {@code GET|DELETE /api/v1/uploads/{id}} and {@code GET /media/{id}} (signed link or owner's key;
 * byte ranges; a redirect to the storage's own link where it has them).
 */
public final class MediaApi {

    private static final Pattern RANGE = Pattern.compile("bytes=(\\d*)-(\\d*)");

    private final MediaStore store;
    private final MediaLinks links;
    private final Duration uploadRetention;
    private final Duration fetchTimeout;
    private final boolean redirectToStorage;
    /** Authenticates an API key from the request, or null if there is none. */
    private final Function<Exchange, Caller> authenticate;

    public MediaApi(MediaStore store, MediaLinks links, Duration uploadRetention,
                    Duration fetchTimeout, boolean redirectToStorage, Function<Exchange, Caller> authenticate) {
        this.store = store;
        this.links = links;
        this.uploadRetention = uploadRetention;
        this.fetchTimeout = fetchTimeout;
        this.redirectToStorage = redirectToStorage;
        this.authenticate = authenticate;
    }

    /** Whether a request's body is read as a stream (multipart uploads may be far beyond the JSON body limit). */
    public static boolean streamsBody(String method, String path, String contentType) {
        return "POST".equals(method) && "/api/v1/uploads".equals(path) && MultipartFiles.isMultipart(contentType);
    }

    public void upload(Request r) {
        Exchange ex = r.exchange();
        long owner = r.caller().accountId();
        MediaObject m;
        if (MultipartFiles.isMultipart(ex.header("Content-Type"))) {
            m = uploadMultipart(ex, owner);
        } else {
            m = uploadFromUrl(r, owner);
        }
        r.json(200, envelope(view(m, ex)));
    }

    private MediaObject uploadMultipart(Exchange ex, long owner) {
        try {
            MultipartFiles parts = new MultipartFiles(ex.bodyStream(), ex.header("Content-Type"));
            MultipartFiles.FilePart file = parts.nextFile();
            if (file == null) {
                throw ApiException.badRequest("file", "the multipart body has no file part (send the file as field 'file')");
            }
            return store.store(owner, "upload", file.stream(), file.fileName(), store.limits().maxBytes(), uploadRetention, null);
        } catch (MediaException e) {
            throw e.at("file");
        } catch (IOException e) {
            // The parser's own words name its classes; ours name the field.
            throw ApiException.badRequest("file", "the multipart body could not be read (malformed or cut short)");
        }
    }

    private MediaObject uploadFromUrl(Request r, long owner) {
        Object url = r.jsonBody().get("url");
        if (!(url instanceof String s) || s.isBlank()) {
            throw ApiException.badRequest("url", "send a multipart/form-data body with a 'file', or JSON {\"url\": \"https://…\"}");
        }
        return fetchAndStore(owner, s, "url");
    }

    /**
     * Fetches a client-supplied URL through the SSRF-safe fetcher and stores it; failures are the
     * client's 4xx naming {@code field}.
     */
    private MediaObject fetchAndStore(long owner, String url, String field) {
        URI uri;
        try {
            uri = URI.create(url.trim());
        } catch (IllegalArgumentException e) {
            throw ApiException.badRequest(field, field + " is not a valid URL");
        }
        try {
            return store.fetch(owner, "upload", uri, fetchTimeout, uploadRetention, null);
        } catch (FetchException e) {
            throw ApiException.badRequest(field, field + ": " + e.getMessage());
        } catch (MediaException e) {
            throw e.at(field);
        }
    }

    public void getUpload(Request r) {
        MediaObject m = store.owned(r.caller().accountId(), r.param("id")).orElseThrow(() -> ApiException.notFound("file"));
        r.json(200, envelope(view(m, r.exchange())));
    }

    public void deleteUpload(Request r) {
        MediaObject m = store.owned(r.caller().accountId(), r.param("id")).orElseThrow(() -> ApiException.notFound("file"));
        store.delete(m);
        r.json(200, envelope(Map.of("fileId", m.id(), "deleted", true)));
    }

    /** {@code GET /media/{id}}: a signed link, or the owner's API key. Anything else is a 404. */
    public void serve(Request r) {
        Exchange ex = r.exchange();
        String id = r.param("id");
        boolean signed = links.verify(id, ex.query("expires"), ex.query("signature"));
        Optional<MediaObject> found = store.find(id);
        if (!signed) {
            Caller caller = ex.header("Authorization") != null || ex.header("x-api-key") != null
                    ? authenticate.apply(ex) : null;
            found = found.filter(m -> caller != null && caller.accountId() == m.accountId());
        }
        MediaObject m = found.orElseThrow(() -> ApiException.notFound("file"));
        long cacheSeconds = signed ? Math.min(links.secondsLeft(ex.query("expires")), 86_400) : 0;
        if (redirectToStorage && signed) {
            Optional<URI> direct = store.storageUrl(m, Duration.ofSeconds(Math.max(60, cacheSeconds)));
            if (direct.isPresent()) {
                ex.respond(new Response(302, null, null, Map.of("Location", direct.get().toString(),
                        "Cache-Control", "private, max-age=" + Math.max(0, cacheSeconds - 60))));
                return;
            }
        }
        Map<String, String> headers = new LinkedHashMap<>();
        headers.put("Accept-Ranges", "bytes");
        headers.put("ETag", "\"" + m.sha256() + "\"");
        headers.put("X-Content-Type-Options", "nosniff");
        headers.put("Cache-Control", cacheSeconds > 0 ? "private, max-age=" + cacheSeconds : "private, no-store");
        if (m.fileName() != null) {
            headers.put("Content-Disposition", "inline; filename=\"" + m.fileName() + "\"");
        }
        long offset = 0;
        long length = m.size();
        int status = 200;
        String range = ex.header("Range");
        if (range != null && m.size() > 0) {
            long[] r2 = range(range, m.size());
            if (r2 == null) {
                throw new ApiException(416, "range_not_satisfiable", "the range " + range + " is outside the file's "
                        + m.size() + " bytes", null, Map.of("Content-Range", "bytes */" + m.size()));
            }
            if (r2.length == 2) {
                offset = r2[0];
                length = r2[1] - r2[0] + 1;
                status = 206;
                headers.put("Content-Range", "bytes " + r2[0] + "-" + r2[1] + "/" + m.size());
            }
        }
        ObjectContent content;
        try {
            content = store.open(m, offset, length);
        } catch (NoSuchObjectException e) {
            throw ApiException.notFound("file");
        } catch (StorageException e) {
            throw new ApiException(503, "storage_unavailable", "the file cannot be read right now; retry shortly",
                    null, Map.of("Retry-After", "5"));
        }
        ex.respond(status, m.contentType(), headers, content.stream(), content.length());
    }

    /**
     * A single byte range: {first, last} inclusive; an empty array to serve the whole file (a
     * syntax we do not support, such as several ranges, is ignored as RFC 9110 allows); null when
     * unsatisfiable.
     */
    static long[] range(String header, long size) {
        Matcher m = RANGE.matcher(header.trim());
        if (!m.matches() || (m.group(1).isEmpty() && m.group(2).isEmpty())) {
            return new long[0];
        }
        try {
            long first;
            long last;
            if (m.group(1).isEmpty()) {
                long suffix = Long.parseLong(m.group(2));
                if (suffix == 0) {
                    return null;
                }
                first = Math.max(0, size - suffix);
                last = size - 1;
            } else {
                first = Long.parseLong(m.group(1));
                last = m.group(2).isEmpty() ? size - 1 : Math.min(Long.parseLong(m.group(2)), size - 1);
                if (first > last) {
                    return first >= size ? null : new long[0];
                }
            }
            return new long[] {first, last};
        } catch (NumberFormatException e) {
            return new long[0];
        }
    }

    /** {@code GET /api/v1/account/files}: the caller's stored files, newest first ({@code limit}, {@code before}). */
    public void list(Request r) {
        var ex = r.exchange();
        r.json(200, Map.of("object", "list", "data", store.page(r.caller().accountId(), Params.limit(ex.query("limit")),
                Params.queryLong(ex.query("before"), "before")).stream().map(m -> view(m, ex)).toList()));
    }

    private Map<String, Object> view(MediaObject m, Exchange ex) {
        return view(m, links.url(ex.baseUrl(), m.id()));
    }

    /** A file as the API shows it, with its signed link. */
    public static Map<String, Object> view(MediaObject m, String signedUrl) {
        Map<String, Object> v = new LinkedHashMap<>();
        v.put("fileId", m.id());
        v.put("fileUrl", signedUrl);
        v.put("kind", m.kind());
        v.put("taskId", m.taskId());
        v.put("fileName", m.fileName());
        v.put("mimeType", m.contentType());
        v.put("fileSize", m.size());
        v.put("createTime", m.createdAt());
        v.put("expireTime", m.expiresAt());
        return v;
    }

    /** apimodels.app's success envelope {@code {code, msg, data}}. */
    public static Map<String, Object> envelope(Object data) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("code", 200);
        body.put("msg", "success");
        body.put("data", data);
        return body;
    }
}
