package app.apimodels.console;

import app.apimodels.core.web.ApiException;
import app.apimodels.spi.web.Exchange;
import app.apimodels.spi.web.Response;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.zip.GZIPOutputStream;

/**
 * The console's static files, read from the jar once at start and served from memory under
 * {@code /console/assets/<versioned name>}: uPlot from its WebJar (the version in the
 * name), the console's own stylesheet and script (a hash of the content in the name). A name changes
 * whenever the content does, so each may be cached for a year as immutable; a gzip copy is kept for
 * clients that accept it.
 */
final class Assets {

    /** A file ready to serve. */
    record Asset(String name, String contentType, byte[] plain, byte[] gzipped) {
    }

    private static final String WEBJARS = "META-INF/resources/webjars/";
    private static final String OWN = "app/apimodels/console/assets/";
    private static final String CACHE = "public, max-age=31536000, immutable";

    /** Logical name (what templates ask for) → the file. */
    private final Map<String, Asset> byLogical = new LinkedHashMap<>();
    /** Versioned name (what is served) → the file. */
    private final Map<String, Asset> byName = new LinkedHashMap<>();

    Assets() {
        webjar("uplot.js", "uplot-1.6.30.min.js", "uplot/1.6.30/dist/uPlot.iife.min.js", "text/javascript");
        webjar("uplot.css", "uplot-1.6.30.min.css", "uplot/1.6.30/dist/uPlot.min.css", "text/css");
        own("console.css", "text/css");
        own("console.js", "text/javascript");
    }

    private void webjar(String logical, String name, String resource, String type) {
        add(logical, name, read(WEBJARS + resource), type);
    }

    private void own(String logical, String type) {
        byte[] content = read(OWN + logical);
        int dot = logical.lastIndexOf('.');
        add(logical, logical.substring(0, dot) + "-" + hash(content) + logical.substring(dot), content, type);
    }

    private void add(String logical, String name, byte[] content, String type) {
        Asset a = new Asset(name, type + "; charset=utf-8", content, gzip(content));
        byLogical.put(logical, a);
        byName.put(name, a);
    }

    /** The versioned name of a logical one ({@code console.css} → {@code console-1a2b3c4d5e.css}). */
    String name(String logical) {
        Asset a = byLogical.get(logical);
        if (a == null) {
            throw new IllegalArgumentException("no console asset '" + logical + "' (known: " + byLogical.keySet() + ")");
        }
        return a.name();
    }

    /** Every file, by versioned name (for the size figures in tests). */
    Map<String, Asset> all() {
        return byName;
    }

    /** {@code GET /console/assets/{name}}: the file, gzipped when the client accepts it; 404 for any other name. */
    Response serve(Exchange ex, String name) {
        Asset a = byName.get(name);
        if (a == null) {
            throw new ApiException(404, "not_found", "no such file");
        }
        Map<String, String> headers = new LinkedHashMap<>();
        headers.put("Cache-Control", CACHE);
        headers.put("Vary", "Accept-Encoding");
        String accept = ex.header("Accept-Encoding");
        if (accept != null && accept.toLowerCase(java.util.Locale.ROOT).contains("gzip")) {
            headers.put("Content-Encoding", "gzip");
            return new Response(200, a.contentType(), a.gzipped(), headers);
        }
        return new Response(200, a.contentType(), a.plain(), headers);
    }

    private static byte[] read(String resource) {
        try (InputStream in = Assets.class.getClassLoader().getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalStateException("the console's file " + resource + " is missing from the class path");
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static byte[] gzip(byte[] content) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(content.length / 3);
        try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
            gz.write(content);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    private static String hash(byte[] content) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(content)).substring(0, 10);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
