package app.apimodels.testkit;

import app.apimodels.spi.payment.Checkout;
import app.apimodels.spi.webhook.InboundWebhook;
import com.github.tomakehurst.wiremock.common.Json;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.io.InputStream;
import java.math.BigDecimal;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.stream.Collectors;

/**
 * Alipay's open API gateway, in the JVM: a real HTTP server ({@code gateway.do}) that checks each
 * request's RSA2 signature with the application's public key, keeps trades, and answers
 * {@code alipay.trade.precreate}, {@code query}, {@code refund} and {@code close} as Alipay
 * documents them — {@code {"<method>_response": {...}, "sign": "..."}}, signed with its own
 * Alipay key pair over the exact text of the response object. The payment
 * pages ({@code alipay.trade.page.pay} / {@code wap.pay} links) and the QR codes it hands out are
 * served too: opening one is the payer opening the cashier, which is when Alipay creates the trade
 * (before that, a query finds no trade, as at Alipay). It builds the notifies Alipay posts, signed
 * genuinely or with a stranger's key, and can be told to alter or strip the signatures of its answers.
 *
 * <p>Key pairs are generated at start: {@link #gatewayOptions()} are the settings a gateway under
 * test needs ({@code app-id}, {@code private-key}, {@code public-key}, {@code gateway-url},
 * {@code seller-id}). This is an independent implementation of Alipay's signing on purpose: it
 * shares no code with the gateway it tests, so a mistake in one is not cancelled out by the other.
 */
public final class MockAlipay implements AutoCloseable {

    /** Alipay's times: Beijing time, {@code yyyy-MM-dd HH:mm:ss}. */
    private static final ZoneId BEIJING = ZoneId.of("Asia/Shanghai");
    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss").withZone(BEIJING);
    private static final DateTimeFormatter REFUND_TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss.SSS").withZone(BEIJING);
    private static final Duration TIMESTAMP_TOLERANCE = Duration.ofMinutes(15);

    /** One call the gateway received: its method, every parameter (common and form) and the parsed biz_content. */
    public record Call(String method, Map<String, String> params, Map<String, Object> bizContent) {
    }

    /** How the mock signs its answers. */
    private enum Answering { GENUINE, TAMPERED, UNSIGNED }

    private record Refund(long fen, Instant at) {
    }

    private static final class Trade {
        final String outTradeNo;
        final String tradeNo;
        final long totalFen;
        final String subject;
        final Instant created;
        final Instant timeExpire;
        final String qrToken = UUID.randomUUID().toString().replace("-", "");
        boolean opened;
        String status = "WAIT_BUYER_PAY";
        Instant paidAt;
        Instant closedAt;
        final Map<String, Refund> refunds = new LinkedHashMap<>();

        Trade(String outTradeNo, String tradeNo, long totalFen, String subject, Instant timeExpire) {
            this.outTradeNo = outTradeNo;
            this.tradeNo = tradeNo;
            this.totalFen = totalFen;
            this.subject = subject;
            this.created = Instant.now().truncatedTo(ChronoUnit.SECONDS);
            this.timeExpire = timeExpire;
        }

        long refundedFen() {
            return refunds.values().stream().mapToLong(Refund::fen).sum();
        }
    }

    private final String appId = "2021000" + String.format("%09d", Math.abs(UUID.randomUUID().getLeastSignificantBits() % 1_000_000_000L));
    private final String sellerId = "2088101" + String.format("%09d", Math.abs(UUID.randomUUID().getMostSignificantBits() % 1_000_000_000L));
    private final KeyPair alipayKeys = rsa();
    private final KeyPair appKeys = rsa();
    private final KeyPair strangerKeys = rsa();
    private final HttpServer server;
    private final ExecutorService executor = Executors.newFixedThreadPool(4, r -> {
        Thread t = new Thread(r, "mock-alipay");
        t.setDaemon(true);
        return t;
    });
    private final HttpClient browser = HttpClient.newHttpClient();
    private final Map<String, Trade> trades = new LinkedHashMap<>();
    private final List<Call> calls = new ArrayList<>();
    private long tradeCounter;
    private Answering answering = Answering.GENUINE;

    public MockAlipay() {
        try {
            server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        } catch (IOException e) {
            throw new IllegalStateException("cannot start the mock Alipay gateway", e);
        }
        server.createContext("/gateway.do", this::gateway);
        server.createContext("/qr/", this::scan);
        server.setExecutor(executor);
        server.start();
    }

    // ---- what a gateway under test is configured with ----------------------------------------------

    public String appId() {
        return appId;
    }

    /** The merchant's Alipay user id ({@code 2088…}), the {@code seller_id} of every trade. */
    public String sellerId() {
        return sellerId;
    }

    /** The application's private key (PKCS #8, base64): the merchant generated it and gave Alipay the public half. */
    public String appPrivateKey() {
        return Base64.getEncoder().encodeToString(appKeys.getPrivate().getEncoded());
    }

    /** Alipay's public key for the application (X.509, base64), which verifies Alipay's answers and notifies. */
    public String alipayPublicKey() {
        return Base64.getEncoder().encodeToString(alipayKeys.getPublic().getEncoded());
    }

    /** The gateway's address, what {@code gateway-url} is set to. */
    public URI gatewayUrl() {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/gateway.do");
    }

    /** Every setting the {@code alipay} gateway needs to talk to this mock, by option name. */
    public Map<String, String> gatewayOptions() {
        return Map.of("app-id", appId, "private-key", appPrivateKey(), "public-key", alipayPublicKey(),
                "gateway-url", gatewayUrl().toString(), "seller-id", sellerId);
    }

    // ---- the script ---------------------------------------------------------------------------------

    /** From now on the answers' contents are changed after signing (an amount, or a field added), as by a man in the middle. */
    public synchronized MockAlipay tamperAnswers() {
        answering = Answering.TAMPERED;
        return this;
    }

    /** From now on the answers carry no signature. */
    public synchronized MockAlipay unsignedAnswers() {
        answering = Answering.UNSIGNED;
        return this;
    }

    /** Back to genuinely signed answers. */
    public synchronized MockAlipay genuineAnswers() {
        answering = Answering.GENUINE;
        return this;
    }

    /** A trade the payer has opened and not paid yet, as if a checkout for it had been opened (nothing happens if it exists). */
    public synchronized void createTrade(String outTradeNo, long fen) {
        trades.computeIfAbsent(outTradeNo, n -> newTrade(n, fen, "Credits", null)).opened = true;
    }

    /** The payer pays the trade in full (it must be opened: scanned, or its page visited). */
    public synchronized void pay(String outTradeNo) {
        Trade trade = opened(outTradeNo);
        if (trade.paidAt != null) {
            return;
        }
        if (!trade.status.equals("WAIT_BUYER_PAY")) {
            throw new IllegalStateException(outTradeNo + " is " + trade.status + " and cannot be paid");
        }
        trade.status = "TRADE_SUCCESS";
        trade.paidAt = Instant.now().truncatedTo(ChronoUnit.SECONDS);
    }

    /**
     * The payer opens the checkout — the payment page's link in a browser, or the QR code scanned
     * with the Alipay app, both over HTTP — and pays it. Answers its {@code out_trade_no}.
     */
    public String payCheckout(Checkout checkout) {
        URI opened = checkout.redirectUrl() != null ? checkout.redirectUrl() : URI.create(checkout.qrCode());
        HttpResponse<String> page;
        try {
            page = browser.send(HttpRequest.newBuilder(opened).GET().build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new IllegalStateException("the checkout could not be opened", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
        if (page.statusCode() != 200) {
            throw new IllegalStateException("the checkout did not open: " + page.statusCode() + " " + page.body());
        }
        String outTradeNo = page.headers().firstValue("X-Out-Trade-No").orElseThrow();
        pay(outTradeNo);
        return outTradeNo;
    }

    /** The merchant refunds part or all of a paid trade (as from Alipay's merchant site); once per request number. */
    public synchronized void refund(String outTradeNo, String outRequestNo, long fen) {
        Trade trade = opened(outTradeNo);
        Refund earlier = trade.refunds.get(outRequestNo);
        if (earlier != null && earlier.fen() == fen) {
            return;
        }
        if (earlier != null || !trade.status.equals("TRADE_SUCCESS") || trade.refundedFen() + fen > trade.totalFen) {
            throw new IllegalStateException(outTradeNo + " cannot be refunded " + fen + " fen");
        }
        applyRefund(trade, outRequestNo, fen);
    }

    /** The trade is closed unpaid (it timed out, or the merchant closed it). */
    public synchronized void closeTrade(String outTradeNo) {
        Trade trade = opened(outTradeNo);
        if (trade.closedAt != null && trade.paidAt == null) {
            return;
        }
        if (!trade.status.equals("WAIT_BUYER_PAY")) {
            throw new IllegalStateException(outTradeNo + " is " + trade.status);
        }
        trade.status = "TRADE_CLOSED";
        trade.closedAt = Instant.now().truncatedTo(ChronoUnit.SECONDS);
    }

    /** The trade's status ({@code WAIT_BUYER_PAY}, {@code TRADE_SUCCESS}, {@code TRADE_CLOSED}), if Alipay has the trade. */
    public synchronized Optional<String> status(String outTradeNo) {
        return Optional.ofNullable(trades.get(outTradeNo)).filter(t -> t.opened).map(t -> t.status);
    }

    /** The calls received so far, oldest first. */
    public synchronized List<Call> calls() {
        return List.copyOf(calls);
    }

    /** Forgets trades and calls; answers signed genuinely again. */
    public synchronized void reset() {
        trades.clear();
        calls.clear();
        answering = Answering.GENUINE;
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }

    // ---- notifies ----------------------------------------------------------------------------------

    /** The notify Alipay posts when the trade was paid ({@code TRADE_SUCCESS}), unsigned yet. */
    public synchronized Map<String, String> paymentNotify(String outTradeNo) {
        Trade trade = opened(outTradeNo);
        if (trade.paidAt == null) {
            throw new IllegalStateException(outTradeNo + " is not paid");
        }
        Map<String, String> params = notify(trade, "TRADE_SUCCESS", trade.paidAt, "paid");
        params.put("gmt_payment", TIME.format(trade.paidAt));
        return params;
    }

    /**
     * The notify Alipay posts after refund {@code outRequestNo}: the trade's status then
     * ({@code TRADE_CLOSED} once refunded in full), {@code refund_fee} the total refunded up to it.
     */
    public synchronized Map<String, String> refundNotify(String outTradeNo, String outRequestNo) {
        Trade trade = opened(outTradeNo);
        Refund refund = trade.refunds.get(outRequestNo);
        if (refund == null) {
            throw new IllegalStateException(outTradeNo + " has no refund " + outRequestNo);
        }
        long upTo = 0;
        for (Refund r : trade.refunds.values()) {
            upTo += r.fen();
            if (r == refund) {
                break;
            }
        }
        Map<String, String> params = notify(trade, upTo == trade.totalFen ? "TRADE_CLOSED" : "TRADE_SUCCESS", refund.at(),
                "refund-" + outRequestNo);
        params.put("gmt_payment", TIME.format(trade.paidAt));
        params.put("out_biz_no", outRequestNo);
        params.put("refund_fee", yuan(upTo));
        params.put("gmt_refund", REFUND_TIME.format(refund.at()));
        if (upTo == trade.totalFen) {
            params.put("gmt_close", TIME.format(refund.at()));
        }
        return params;
    }

    /** The notify Alipay posts when the trade was closed unpaid ({@code TRADE_CLOSED}). */
    public synchronized Map<String, String> closeNotify(String outTradeNo) {
        Trade trade = opened(outTradeNo);
        if (trade.closedAt == null || trade.paidAt != null) {
            throw new IllegalStateException(outTradeNo + " was not closed unpaid");
        }
        Map<String, String> params = notify(trade, "TRADE_CLOSED", trade.closedAt, "closed");
        params.put("gmt_close", TIME.format(trade.closedAt));
        return params;
    }

    /** A {@code WAIT_BUYER_PAY} notify (Alipay sends these only to merchants who ask): nothing to act on. */
    public synchronized Map<String, String> waitingNotify(String outTradeNo) {
        Trade trade = opened(outTradeNo);
        return notify(trade, "WAIT_BUYER_PAY", trade.created, "created");
    }

    /** The notify's form body as Alipay posts it: {@code sign_type=RSA2} and {@code sign} by Alipay's key added. */
    public byte[] signed(Map<String, String> notify) {
        return form(signNotify(notify, alipayKeys.getPrivate()));
    }

    /** The same, signed with a key that is not Alipay's. */
    public byte[] forged(Map<String, String> notify) {
        return form(signNotify(notify, strangerKeys.getPrivate()));
    }

    /** A form body of exactly these parameters (URL-encoded UTF-8), nothing added. */
    public static byte[] form(Map<String, String> params) {
        return params.entrySet().stream()
                .map(e -> URLEncoder.encode(e.getKey(), StandardCharsets.UTF_8) + "=" + URLEncoder.encode(e.getValue(), StandardCharsets.UTF_8))
                .collect(Collectors.joining("&")).getBytes(StandardCharsets.UTF_8);
    }

    /** A notify body as the webhook the engine receives at {@code url}. */
    public static InboundWebhook delivery(URI url, byte[] body) {
        return new InboundWebhook(url, Map.of("Content-Type", "application/x-www-form-urlencoded; charset=utf-8"), body);
    }

    /** An instant as Alipay writes it (Beijing time, seconds). */
    public static String time(Instant instant) {
        return TIME.format(instant);
    }

    /** A refund time as Alipay writes it (Beijing time, milliseconds). */
    public static String refundTime(Instant instant) {
        return REFUND_TIME.format(instant);
    }

    private Map<String, String> notify(Trade trade, String status, Instant at, String what) {
        Map<String, String> params = new LinkedHashMap<>();
        params.put("notify_time", TIME.format(at));
        params.put("notify_type", "trade_status_sync");
        // Alipay posts the same notification again until answered: the same id each time.
        params.put("notify_id", HexFormat.of().formatHex(sha256(trade.tradeNo + "/" + what), 0, 16));
        params.put("charset", "utf-8");
        params.put("version", "1.0");
        params.put("app_id", appId);
        params.put("auth_app_id", appId);
        params.put("trade_no", trade.tradeNo);
        params.put("out_trade_no", trade.outTradeNo);
        params.put("buyer_id", "2088102177846880");
        params.put("buyer_logon_id", "159****5620");
        params.put("seller_id", sellerId);
        params.put("trade_status", status);
        params.put("total_amount", yuan(trade.totalFen));
        if (trade.paidAt != null) {
            params.put("receipt_amount", yuan(trade.totalFen));
            params.put("buyer_pay_amount", yuan(trade.totalFen));
            params.put("invoice_amount", yuan(trade.totalFen));
            params.put("point_amount", "0.00");
            params.put("fund_bill_list", "[{\"amount\":\"" + yuan(trade.totalFen) + "\",\"fundChannel\":\"ALIPAYACCOUNT\"}]");
        }
        params.put("subject", trade.subject);
        params.put("gmt_create", TIME.format(trade.created));
        return params;
    }

    private static Map<String, String> signNotify(Map<String, String> notify, PrivateKey key) {
        Map<String, String> params = new LinkedHashMap<>(notify);
        params.remove("sign");
        params.put("sign_type", "RSA2");
        // Alipay signs a notify over its parameters sorted by name, without sign and sign_type and empty values.
        TreeMap<String, String> signed = new TreeMap<>(params);
        signed.remove("sign_type");
        params.put("sign", sign(key, signed.entrySet().stream().filter(e -> !e.getValue().isEmpty())
                .map(e -> e.getKey() + "=" + e.getValue()).collect(Collectors.joining("&"))));
        return params;
    }

    // ---- the gateway --------------------------------------------------------------------------------

    private void gateway(HttpExchange exchange) throws IOException {
        try (exchange) {
            Map<String, String> params = new LinkedHashMap<>(parseForm(exchange.getRequestURI().getRawQuery()));
            if (exchange.getRequestMethod().equals("POST")) {
                try (InputStream in = exchange.getRequestBody()) {
                    params.putAll(parseForm(new String(in.readAllBytes(), StandardCharsets.UTF_8)));
                }
            }
            String method = params.getOrDefault("method", "");
            String refusal = checkRequest(params);
            Map<String, Object> biz = refusal != null ? Map.of() : biz(params);
            synchronized (this) {
                calls.add(new Call(method, Map.copyOf(params), biz));
            }
            if (exchange.getRequestMethod().equals("GET")) {
                cashier(exchange, method, refusal, biz, params);
                return;
            }
            String node = method.isEmpty() ? "error_response" : method.replace('.', '_') + "_response";
            if (refusal != null) {
                // Alipay refuses a request it cannot attribute to the application without signing its answer.
                Map<String, String> error = new LinkedHashMap<>();
                error.put("code", "40002");
                error.put("msg", "Invalid Arguments");
                error.put("sub_code", refusal);
                error.put("sub_msg", "请求被拒绝");
                send(exchange, 200, "application/json;charset=utf-8", "{\"" + node + "\":" + json(error) + "}");
                return;
            }
            Map<String, String> answer;
            synchronized (this) {
                answer = switch (method) {
                    case "alipay.trade.precreate" -> precreate(biz);
                    case "alipay.trade.query" -> query(biz);
                    case "alipay.trade.refund" -> refundCall(biz);
                    case "alipay.trade.close" -> closeCall(biz);
                    default -> failure("40004", "isv.invalid-method", "不存在的方法名");
                };
            }
            send(exchange, 200, "application/json;charset=utf-8", signedAnswer(node, answer));
        } catch (RuntimeException e) {
            send(exchange, 500, "text/plain", "mock Alipay failed: " + e);
        }
    }

    /** Why Alipay would refuse the request before reading it (an {@code isv.*} sub-code), or null. */
    private String checkRequest(Map<String, String> params) {
        if (!appId.equals(params.get("app_id"))) {
            return "isv.invalid-app-id";
        }
        if (!"RSA2".equals(params.get("sign_type"))) {
            return "isv.invalid-signature-type";
        }
        if (!"utf-8".equalsIgnoreCase(params.get("charset")) || !"1.0".equals(params.get("version"))
                || (params.get("format") != null && !params.get("format").equalsIgnoreCase("JSON"))) {
            return "isv.invalid-parameter";
        }
        try {
            Instant sent = LocalDateTime.parse(params.getOrDefault("timestamp", ""), DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss"))
                    .atZone(BEIJING).toInstant();
            if (Duration.between(sent, Instant.now()).abs().compareTo(TIMESTAMP_TOLERANCE) > 0) {
                return "isv.invalid-timestamp";
            }
        } catch (DateTimeParseException e) {
            return "isv.invalid-timestamp";
        }
        // Requests are signed over every parameter but sign (sign_type included), sorted, empty ones left out.
        String content = new TreeMap<>(params).entrySet().stream()
                .filter(e -> !e.getKey().equals("sign") && !e.getValue().isEmpty())
                .map(e -> e.getKey() + "=" + e.getValue()).collect(Collectors.joining("&"));
        if (!verify(appKeys.getPublic(), content, params.get("sign"))) {
            return "isv.invalid-signature";
        }
        return params.get("biz_content") == null ? "isv.missing-biz-content" : null;
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> biz(Map<String, String> params) {
        return Json.read(params.get("biz_content"), Map.class);
    }

    /** A payment page link opened in the payer's browser: the cashier, which creates the trade. */
    private void cashier(HttpExchange exchange, String method, String refusal, Map<String, Object> biz,
                         Map<String, String> params) throws IOException {
        String productCode = switch (method) {
            case "alipay.trade.page.pay" -> "FAST_INSTANT_TRADE_PAY";
            case "alipay.trade.wap.pay" -> "QUICK_WAP_WAY";
            default -> null;
        };
        if (refusal != null || productCode == null || !productCode.equals(biz.get("product_code"))) {
            send(exchange, 400, "text/html;charset=utf-8", "<html><body>支付宝 — 错误: "
                    + (refusal != null ? refusal : "invalid method or product_code") + "</body></html>");
            return;
        }
        String outTradeNo = (String) biz.get("out_trade_no");
        synchronized (this) {
            Trade trade = trades.get(outTradeNo);
            long fen = fen((String) biz.get("total_amount"));
            if (trade != null && trade.totalFen != fen) {
                send(exchange, 400, "text/html;charset=utf-8", "<html><body>支付宝 — 错误: ACQ.CONTEXT_INCONSISTENT</body></html>");
                return;
            }
            if (trade == null) {
                trade = newTrade(outTradeNo, fen, (String) biz.get("subject"), readTime((String) biz.get("time_expire")));
                trades.put(outTradeNo, trade);
            }
            trade.opened = true;
        }
        exchange.getResponseHeaders().add("X-Out-Trade-No", outTradeNo);
        send(exchange, 200, "text/html;charset=utf-8", "<html><body>支付宝收银台 (mock): " + outTradeNo + "</body></html>");
    }

    /** The payer scanning a QR code from precreate. */
    private void scan(HttpExchange exchange) throws IOException {
        try (exchange) {
            String token = exchange.getRequestURI().getPath().substring("/qr/".length());
            String outTradeNo;
            synchronized (this) {
                Trade trade = trades.values().stream().filter(t -> t.qrToken.equals(token)).findFirst().orElse(null);
                if (trade == null) {
                    send(exchange, 404, "text/plain", "no such QR code");
                    return;
                }
                trade.opened = true;
                outTradeNo = trade.outTradeNo;
            }
            exchange.getResponseHeaders().add("X-Out-Trade-No", outTradeNo);
            send(exchange, 200, "text/html;charset=utf-8", "<html><body>支付宝 (mock): " + outTradeNo + "</body></html>");
        }
    }

    private Map<String, String> precreate(Map<String, Object> biz) {
        String outTradeNo = (String) biz.get("out_trade_no");
        long fen = fen((String) biz.get("total_amount"));
        Trade trade = trades.get(outTradeNo);
        if (trade != null && (trade.totalFen != fen || !trade.status.equals("WAIT_BUYER_PAY"))) {
            return failure("40004", trade.status.equals("TRADE_SUCCESS") ? "ACQ.TRADE_HAS_SUCCESS" : "ACQ.CONTEXT_INCONSISTENT",
                    "交易信息被篡改");
        }
        if (trade == null) {
            trade = newTrade(outTradeNo, fen, (String) biz.get("subject"), readTime((String) biz.get("time_expire")));
            trades.put(outTradeNo, trade);
        }
        Map<String, String> answer = success();
        answer.put("out_trade_no", outTradeNo);
        answer.put("qr_code", "http://127.0.0.1:" + server.getAddress().getPort() + "/qr/" + trade.qrToken);
        return answer;
    }

    private Map<String, String> query(Map<String, Object> biz) {
        Trade trade = found(biz);
        if (trade == null) {
            return failure("40004", "ACQ.TRADE_NOT_EXIST", "交易不存在");
        }
        expire(trade);
        Map<String, String> answer = success();
        answer.put("buyer_logon_id", "159****5620");
        answer.put("buyer_pay_amount", trade.paidAt != null ? yuan(trade.totalFen) : "0.00");
        answer.put("buyer_user_id", "2088102177846880");
        answer.put("invoice_amount", trade.paidAt != null ? yuan(trade.totalFen) : "0.00");
        answer.put("out_trade_no", trade.outTradeNo);
        answer.put("point_amount", "0.00");
        answer.put("receipt_amount", trade.paidAt != null ? yuan(trade.totalFen) : "0.00");
        if (trade.paidAt != null) {
            answer.put("send_pay_date", TIME.format(trade.paidAt));
        }
        answer.put("total_amount", yuan(trade.totalFen));
        answer.put("trade_no", trade.tradeNo);
        answer.put("trade_status", trade.status);
        return answer;
    }

    private Map<String, String> refundCall(Map<String, Object> biz) {
        Trade trade = found(biz);
        if (trade == null) {
            return failure("40004", "ACQ.TRADE_NOT_EXIST", "交易不存在");
        }
        String outRequestNo = (String) biz.getOrDefault("out_request_no", trade.outTradeNo);
        long fen = fen((String) biz.get("refund_amount"));
        Refund earlier = trade.refunds.get(outRequestNo);
        boolean changed = earlier == null;
        if (earlier != null && earlier.fen() != fen) {
            return failure("40004", "ACQ.REFUND_AMT_RESTRICTION", "同一退款请求号的退款金额不一致");
        }
        if (earlier == null) {
            if (trade.paidAt == null) {
                return failure("40004", "ACQ.TRADE_STATUS_ERROR", "交易状态不合法");
            }
            if (trade.refundedFen() + fen > trade.totalFen) {
                return failure("40004", "ACQ.REASON_TRADE_REFUND_FEE_ERR", "退款金额超限");
            }
            applyRefund(trade, outRequestNo, fen);
        }
        Map<String, String> answer = success();
        answer.put("buyer_logon_id", "159****5620");
        answer.put("buyer_user_id", "2088102177846880");
        answer.put("fund_change", changed ? "Y" : "N");
        answer.put("gmt_refund_pay", TIME.format(trade.refunds.get(outRequestNo).at()));
        answer.put("out_trade_no", trade.outTradeNo);
        answer.put("refund_fee", yuan(trade.refundedFen()));
        answer.put("send_back_fee", yuan(fen));
        answer.put("trade_no", trade.tradeNo);
        return answer;
    }

    private Map<String, String> closeCall(Map<String, Object> biz) {
        Trade trade = found(biz);
        if (trade == null) {
            return failure("40004", "ACQ.TRADE_NOT_EXIST", "交易不存在");
        }
        if (!trade.status.equals("WAIT_BUYER_PAY")) {
            return failure("40004", "ACQ.TRADE_STATUS_ERROR", "交易状态不合法");
        }
        trade.status = "TRADE_CLOSED";
        trade.closedAt = Instant.now().truncatedTo(ChronoUnit.SECONDS);
        Map<String, String> answer = success();
        answer.put("out_trade_no", trade.outTradeNo);
        answer.put("trade_no", trade.tradeNo);
        return answer;
    }

    /** The trade a call names by out_trade_no or trade_no, if Alipay has it (it was opened). */
    private Trade found(Map<String, Object> biz) {
        Object tradeNo = biz.get("trade_no");
        Trade trade = tradeNo != null
                ? trades.values().stream().filter(t -> t.tradeNo.equals(tradeNo)).findFirst().orElse(null)
                : trades.get((String) biz.get("out_trade_no"));
        return trade != null && trade.opened ? trade : null;
    }

    /** An unpaid trade past its time_expire is closed, as Alipay closes it. */
    private static void expire(Trade trade) {
        if (trade.status.equals("WAIT_BUYER_PAY") && trade.timeExpire != null && !Instant.now().isBefore(trade.timeExpire)) {
            trade.status = "TRADE_CLOSED";
            trade.closedAt = trade.timeExpire;
        }
    }

    private Trade opened(String outTradeNo) {
        Trade trade = trades.get(outTradeNo);
        if (trade == null || !trade.opened) {
            throw new IllegalStateException("Alipay has no trade " + outTradeNo + " (no checkout for it was opened)");
        }
        return trade;
    }

    private Trade newTrade(String outTradeNo, long fen, String subject, Instant timeExpire) {
        String tradeNo = TIME.format(Instant.now()).replaceAll("\\D", "").substring(0, 8) + "22001"
                + String.format("%015d", ++tradeCounter);
        return new Trade(outTradeNo, tradeNo, fen, subject == null ? "" : subject, timeExpire);
    }

    private static void applyRefund(Trade trade, String outRequestNo, long fen) {
        trade.refunds.put(outRequestNo, new Refund(fen, Instant.now().truncatedTo(ChronoUnit.MILLIS)));
        if (trade.refundedFen() == trade.totalFen) {
            trade.status = "TRADE_CLOSED";
        }
    }

    private static Map<String, String> success() {
        Map<String, String> answer = new LinkedHashMap<>();
        answer.put("code", "10000");
        answer.put("msg", "Success");
        return answer;
    }

    private static Map<String, String> failure(String code, String subCode, String subMsg) {
        Map<String, String> answer = new LinkedHashMap<>();
        answer.put("code", code);
        answer.put("msg", "Business Failed");
        answer.put("sub_code", subCode);
        answer.put("sub_msg", subMsg);
        return answer;
    }

    /** {@code {"<node>": <content>, "sign": "..."}}, the signature over the exact text of the content. */
    private synchronized String signedAnswer(String node, Map<String, String> fields) {
        String content = json(fields);
        String sign = sign(alipayKeys.getPrivate(), content);
        switch (answering) {
            case UNSIGNED -> {
                return "{\"" + node + "\":" + content + "}";
            }
            case TAMPERED -> {
                Map<String, String> altered = new LinkedHashMap<>(fields);
                if (altered.containsKey("total_amount")) {
                    altered.put("total_amount", yuan(fen(altered.get("total_amount")) + 1));
                } else {
                    altered.put("qr_code", "https://qr.example/not-alipay");
                }
                content = json(altered);
            }
            default -> {
            }
        }
        return "{\"" + node + "\":" + content + ",\"sign\":\"" + sign + "\"}";
    }

    // ---- wire details --------------------------------------------------------------------------------

    private static String json(Map<String, String> fields) {
        return fields.entrySet().stream().map(e -> quote(e.getKey()) + ":" + quote(e.getValue()))
                .collect(Collectors.joining(",", "{", "}"));
    }

    private static String quote(String text) {
        StringBuilder out = new StringBuilder("\"");
        for (char c : text.toCharArray()) {
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                default -> {
                    if (c < 0x20) {
                        out.append(String.format("\\u%04x", (int) c));
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        return out.append('"').toString();
    }

    private static Map<String, String> parseForm(String form) {
        Map<String, String> params = new LinkedHashMap<>();
        if (form == null || form.isEmpty()) {
            return params;
        }
        for (String pair : form.split("&")) {
            int eq = pair.indexOf('=');
            if (eq > 0) {
                params.put(URLDecoder.decode(pair.substring(0, eq), StandardCharsets.UTF_8),
                        URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8));
            }
        }
        return params;
    }

    private static void send(HttpExchange exchange, int status, String contentType, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", contentType);
        exchange.sendResponseHeaders(status, bytes.length);
        exchange.getResponseBody().write(bytes);
    }

    private static long fen(String yuan) {
        return new BigDecimal(yuan).movePointRight(2).longValueExact();
    }

    private static String yuan(long fen) {
        return BigDecimal.valueOf(fen, 2).toPlainString();
    }

    private static Instant readTime(String text) {
        return text == null ? null
                : LocalDateTime.parse(text, DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss")).atZone(BEIJING).toInstant();
    }

    private static KeyPair rsa() {
        try {
            KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
            generator.initialize(2048);
            return generator.generateKeyPair();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String sign(PrivateKey key, String content) {
        try {
            Signature signature = Signature.getInstance("SHA256withRSA");
            signature.initSign(key);
            signature.update(content.getBytes(StandardCharsets.UTF_8));
            return Base64.getEncoder().encodeToString(signature.sign());
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    private static boolean verify(PublicKey key, String content, String sign) {
        try {
            Signature signature = Signature.getInstance("SHA256withRSA");
            signature.initVerify(key);
            signature.update(content.getBytes(StandardCharsets.UTF_8));
            return sign != null && signature.verify(Base64.getDecoder().decode(sign));
        } catch (GeneralSecurityException | IllegalArgumentException e) {
            return false;
        }
    }

    private static byte[] sha256(String text) {
        try {
            return java.security.MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }
}
