package app.apimodels.payment.alipay;

import app.apimodels.spi.payment.PaymentException;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeFormatterBuilder;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoField;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Alipay's open API gateway ({@code gateway.do}): every call carries the common parameters
 * ({@code app_id}, {@code method}, {@code format}, {@code charset}, {@code sign_type},
 * {@code timestamp}, {@code version}, optionally {@code notify_url}/{@code return_url}) and the
 * business parameters as JSON in {@code biz_content}, signed with the application's key over all
 * of them but {@code sign}. An answer is {@code {"<method>_response": {...}, "sign": "..."}} with
 * the signature over the exact text of the response object, which is verified before anything in
 * it is believed.
 */
final class OpenApi {

    /** Alipay's times are Beijing time, written {@code yyyy-MM-dd HH:mm:ss}. */
    static final ZoneId BEIJING = ZoneId.of("Asia/Shanghai");
    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss").withZone(BEIJING);
    private static final DateTimeFormatter TIME_READ = new DateTimeFormatterBuilder()
            .appendPattern("yyyy-MM-dd HH:mm:ss")
            .optionalStart().appendFraction(ChronoField.NANO_OF_SECOND, 1, 9, true).optionalEnd()
            .toFormatter();
    private static final Duration TIMEOUT = Duration.ofSeconds(30);
    private static final String SUCCESS = "10000";

    private final AlipaySettings settings;
    private final HttpClient http;
    private final Clock clock;
    private final ObjectMapper json;

    OpenApi(AlipaySettings settings, HttpClient http, Clock clock, ObjectMapper json) {
        this.settings = settings;
        this.http = http;
        this.clock = clock;
        this.json = json;
    }

    /** A verified answer: the response object of {@code method}. */
    record Answer(String method, JsonNode body) {
        String code() {
            return text("code");
        }

        boolean success() {
            return SUCCESS.equals(code());
        }

        /** A text field, or null when absent or empty. */
        String text(String field) {
            JsonNode value = body.get(field);
            return value == null || value.isNull() || value.asText().isEmpty() ? null : value.asText();
        }

        String subCode() {
            return text("sub_code");
        }

        /** Alipay's own words for a refusal, safe to show an administrator: sub_code and sub_msg (or code and msg). */
        String refusal() {
            String code = subCode() != null ? subCode() : code();
            String message = text("sub_msg") != null ? text("sub_msg") : text("msg");
            return code + (message == null ? "" : ": " + message);
        }

        /** Whether trying the same call again later may work: Alipay busy or a system error on its side. */
        boolean retryable() {
            return "20000".equals(code()) || "ACQ.SYSTEM_ERROR".equals(subCode()) || "aop.ACQ.SYSTEM_ERROR".equals(subCode());
        }

        PaymentException failure() {
            return new PaymentException("Alipay refused " + method + ": " + refusal(), retryable(), null);
        }
    }

    /** The signed parameters of a call to {@code method}. */
    Map<String, String> signedParameters(String method, ObjectNode bizContent, Map<String, String> extra) {
        Map<String, String> params = new LinkedHashMap<>();
        params.put("app_id", settings.appId());
        params.put("method", method);
        params.put("format", "JSON");
        params.put("charset", "utf-8");
        params.put("sign_type", Rsa2.SIGN_TYPE);
        params.put("timestamp", TIME.format(clock.instant()));
        params.put("version", "1.0");
        extra.forEach((name, value) -> {
            if (value != null) {
                params.put(name, value);
            }
        });
        try {
            params.put("biz_content", json.writeValueAsString(bizContent));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
        params.put("sign", Rsa2.sign(settings.privateKey(), Rsa2.signContent(params, Set.of("sign"))));
        return params;
    }

    /** A signed GET link to the gateway, for the payment pages the payer's browser opens. */
    URI pageLink(String method, ObjectNode bizContent, Map<String, String> extra) {
        String base = settings.gatewayUrl().toString();
        return URI.create(base + (base.contains("?") ? "&" : "?") + form(signedParameters(method, bizContent, extra)));
    }

    /** Calls {@code method} and answers its verified response object, successful or not. */
    Answer call(String method, ObjectNode bizContent, Map<String, String> extra) {
        Map<String, String> params = signedParameters(method, bizContent, extra);
        // As Alipay's own clients do: the common parameters in the query, the business ones in the form body.
        Map<String, String> query = new LinkedHashMap<>(params);
        String biz = query.remove("biz_content");
        String base = settings.gatewayUrl().toString();
        HttpRequest request = HttpRequest.newBuilder(URI.create(base + (base.contains("?") ? "&" : "?") + form(query)))
                .timeout(TIMEOUT)
                .header("Content-Type", "application/x-www-form-urlencoded;charset=utf-8")
                .header("Accept", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(form(Map.of("biz_content", biz)), StandardCharsets.UTF_8))
                .build();
        HttpResponse<String> response;
        try {
            response = http.send(request, HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new PaymentException("Alipay could not be reached for " + method + " (" + e.getClass().getSimpleName() + ")", true, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new PaymentException("interrupted while calling Alipay " + method, true, e);
        }
        if (response.statusCode() != 200) {
            boolean retryable = response.statusCode() >= 500 || response.statusCode() == 429;
            throw new PaymentException("Alipay answered " + method + " with HTTP " + response.statusCode(), retryable, null);
        }
        return verified(method, response.body());
    }

    /**
     * Finds the response object in the answer, checks Alipay's signature over its exact text and
     * reads it. An answer without a signature is only believed to be a refusal: then it is thrown.
     */
    Answer verified(String method, String text) {
        String node = method.replace('.', '_') + "_response";
        String content = null;
        String errorContent = null;
        String sign = null;
        try (JsonParser parser = json.getFactory().createParser(text)) {
            if (parser.nextToken() != JsonToken.START_OBJECT) {
                throw unreadable(method);
            }
            while (parser.nextToken() == JsonToken.FIELD_NAME) {
                String name = parser.currentName();
                JsonToken value = parser.nextToken();
                if (name.equals(node) || name.equals("error_response")) {
                    if (value != JsonToken.START_OBJECT) {
                        throw unreadable(method);
                    }
                    int start = (int) parser.currentTokenLocation().getCharOffset();
                    parser.skipChildren();
                    String object = text.substring(start, (int) parser.currentLocation().getCharOffset());
                    if (name.equals(node) ? content != null : errorContent != null) {
                        throw unreadable(method);
                    }
                    if (name.equals(node)) {
                        content = object;
                    } else {
                        errorContent = object;
                    }
                } else if (name.equals("sign")) {
                    if (sign != null || value != JsonToken.VALUE_STRING) {
                        throw unreadable(method);
                    }
                    sign = parser.getText();
                } else {
                    parser.skipChildren();
                }
            }
        } catch (IOException e) {
            throw unreadable(method);
        }
        String signed = content != null ? content : errorContent;
        if (signed == null) {
            throw unreadable(method);
        }
        Answer answer;
        try {
            answer = new Answer(method, json.readTree(signed));
        } catch (IOException e) {
            throw unreadable(method);
        }
        if (sign == null) {
            // Alipay leaves its signature off only when it refused the call itself (a bad app id or
            // request signature); an unsigned success could be anyone's.
            if (answer.success()) {
                throw new PaymentException("Alipay's answer to " + method + " is not signed", false, null);
            }
            throw new PaymentException("Alipay refused " + method + " (unsigned answer): " + answer.refusal(), false, null);
        }
        if (!Rsa2.verify(settings.alipayPublicKey(), signed, sign)) {
            throw new PaymentException("Alipay's answer to " + method + " does not carry Alipay's signature"
                    + " (altered, or apimodels.alipay.public-key is not this application's Alipay public key)", false, null);
        }
        return answer;
    }

    private static PaymentException unreadable(String method) {
        return new PaymentException("Alipay's answer to " + method + " is not the open API's JSON", false, null);
    }

    static String form(Map<String, String> params) {
        return params.entrySet().stream()
                .map(e -> URLEncoder.encode(e.getKey(), StandardCharsets.UTF_8) + "=" + URLEncoder.encode(e.getValue(), StandardCharsets.UTF_8))
                .collect(Collectors.joining("&"));
    }

    static String time(Instant instant) {
        return TIME.format(instant);
    }

    /** A Beijing time as Alipay writes it (seconds, or milliseconds in refund times), or null if unreadable. */
    static Instant readTime(String text) {
        if (text == null) {
            return null;
        }
        try {
            return LocalDateTime.parse(text, TIME_READ).atZone(BEIJING).toInstant();
        } catch (DateTimeParseException e) {
            return null;
        }
    }
}
