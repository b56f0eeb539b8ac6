package app.apimodels.payment.alipay;

import app.apimodels.json.JsonMappers;
import app.apimodels.spi.payment.PaymentGatewayConfig;
import app.apimodels.testkit.MockAlipay;
import com.alipay.api.internal.util.AlipaySignature;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.net.URLDecoder;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.time.Clock;
import java.util.Base64;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Our RSA2 signing and verification against Alipay's own Java SDK (a test dependency only): what
 * we sign, the SDK accepts and would have signed the same; what the SDK signs, we accept. Together
 * with {@link MockAlipay} (written apart from both) this pins the wire rules to Alipay's.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class AlipaySdkOracleTest {

    private final MockAlipay alipay = new MockAlipay();
    private final AlipaySettings settings = AlipaySettings.from(new PaymentGatewayConfig("alipay", alipay.gatewayOptions()));

    @AfterAll
    void stop() {
        alipay.close();
    }

    @Test
    void aRequestIsSignedExactlyAsTheSdkSignsIt() throws Exception {
        OpenApi api = new OpenApi(settings, HttpClient.newHttpClient(), Clock.systemUTC(), JsonMappers.create());
        ObjectNode biz = JsonNodeFactory.instance.objectNode().put("out_trade_no", "ord_1").put("total_amount", "0.29")
                .put("subject", "20 个额度 & more");

        Map<String, String> params = api.signedParameters("alipay.trade.precreate", biz,
                Map.of("notify_url", "https://reseller.example/webhooks/alipay?x=1&y=2", "return_url", ""));

        Map<String, String> unsigned = new HashMap<>(params);
        unsigned.remove("sign");
        String sdkSign = AlipaySignature.rsaSign(AlipaySignature.getSignContent(unsigned), alipay.appPrivateKey(), "utf-8", "RSA2");
        assertThat(params.get("sign")).isEqualTo(sdkSign);
        assertThat(Rsa2.signContent(params, Set.of("sign"))).isEqualTo(AlipaySignature.getSignContent(unsigned));
    }

    @Test
    void aNotifyTheSdkSignsIsOursToAcceptAndOneOurMockSignsTheSdkAccepts() throws Exception {
        KeyPair alipayKeys = rsa();
        AlipaySettings withKnownKey = new AlipaySettings(settings.appId(), settings.privateKey(), alipayKeys.getPublic(),
                settings.gatewayUrl(), null, settings.redirect());
        Map<String, String> notify = new LinkedHashMap<>();
        notify.put("app_id", settings.appId());
        notify.put("out_trade_no", "ord_2");
        notify.put("trade_status", "TRADE_SUCCESS");
        notify.put("total_amount", "19.99");
        notify.put("subject", "额度 =&+ %");
        notify.put("fund_bill_list", "[{\"amount\":\"19.99\",\"fundChannel\":\"ALIPAYACCOUNT\"}]");
        notify.put("body", "");
        notify.put("sign_type", "RSA2");
        String privateKey = Base64.getEncoder().encodeToString(alipayKeys.getPrivate().getEncoded());
        // (the SDK removes sign and sign_type from the map it is given: hand it a copy)
        notify.put("sign", AlipaySignature.rsaSign(AlipaySignature.getSignCheckContentV1(new HashMap<>(notify)), privateKey,
                "utf-8", "RSA2"));

        Map<String, String> accepted = new Notifications(withKnownKey).verifiedParameters(MockAlipay.form(notify));

        assertThat(accepted).containsEntry("subject", "额度 =&+ %").doesNotContainKey("body");
        String alipayPublicKey = alipay.alipayPublicKey();
        Map<String, String> mockSigned = parse(alipay.signed(notify));
        assertThat(AlipaySignature.rsaCheckV1(new HashMap<>(mockSigned), alipayPublicKey, "utf-8", "RSA2"))
                .as("the SDK on MockAlipay's notify").isTrue();
        mockSigned.put("total_amount", "199.90");
        assertThat(AlipaySignature.rsaCheckV1(mockSigned, alipayPublicKey, "utf-8", "RSA2")).isFalse();
    }

    @Test
    void anAnswerIsVerifiedOverTheSameTextTheSdkVerifies() throws Exception {
        KeyPair alipayKeys = rsa();
        OpenApi api = new OpenApi(new AlipaySettings(settings.appId(), settings.privateKey(), alipayKeys.getPublic(),
                settings.gatewayUrl(), null, settings.redirect()), HttpClient.newHttpClient(), Clock.systemUTC(), JsonMappers.create());
        // As Alipay writes it: escaped slashes, non-ASCII text, a nested object, spaces, the signature last.
        String object = "{\"code\":\"10000\",\"msg\":\"Success\",\"qr_code\":\"https:\\/\\/qr.alipay.com\\/bax0\","
                + "\"subject\":\"额度 \\u4e2d\",\"extra\":{\"a\":[1,{\"b\":\"}\"}]}, \"total_amount\":\"0.29\"}";
        String sign = AlipaySignature.rsaSign(object, Base64.getEncoder().encodeToString(alipayKeys.getPrivate().getEncoded()),
                "utf-8", "RSA2");
        String body = "{\"alipay_trade_query_response\":" + object + ",\"sign\":\"" + sign + "\"}";

        OpenApi.Answer answer = api.verified("alipay.trade.query", body);
        com.alipay.api.SignItem item = new com.alipay.api.internal.parser.json.JsonConverter()
                .getSignItem(new com.alipay.api.request.AlipayTradeQueryRequest(), body);

        assertThat(answer.text("qr_code")).isEqualTo("https://qr.alipay.com/bax0");
        assertThat(item.getSignSourceDate()).isEqualTo(object);
        assertThat(item.getSign()).isEqualTo(sign);
    }

    private static Map<String, String> parse(byte[] form) {
        Map<String, String> params = new HashMap<>();
        for (String pair : new String(form, StandardCharsets.UTF_8).split("&")) {
            int eq = pair.indexOf('=');
            params.put(URLDecoder.decode(pair.substring(0, eq), StandardCharsets.UTF_8),
                    URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8));
        }
        return params;
    }

    private static KeyPair rsa() throws Exception {
        KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
        generator.initialize(2048);
        return generator.generateKeyPair();
    }
}
