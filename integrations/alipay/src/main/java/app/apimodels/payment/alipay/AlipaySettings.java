package app.apimodels.payment.alipay;

import app.apimodels.spi.payment.PaymentGatewayConfig;

import java.net.URI;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.interfaces.RSAKey;
import java.util.Locale;
import java.util.Objects;

/**
 * The settings of the Alipay gateway, each the configuration key {@code apimodels.alipay.<name>}.
 *
 * @param appId           {@code app-id}: the application's id on Alipay's open platform
 * @param privateKey      {@code private-key}: the application's RSA private key (PKCS #8, base64),
 *                        whose public half is registered with Alipay; signs every request
 * @param alipayPublicKey {@code public-key}: Alipay's RSA public key for this application
 *                        (X.509, base64); verifies every answer and notify
 * @param gatewayUrl      {@code gateway-url}: the open API gateway, by default Alipay's production one
 * @param sellerId        {@code seller-id}: the merchant's Alipay user id ({@code 2088…}); when set,
 *                        a notify for another seller is refused; or null
 * @param redirect        {@code redirect-product}: the payment page a redirect checkout opens
 */
record AlipaySettings(String appId, PrivateKey privateKey, PublicKey alipayPublicKey, URI gatewayUrl,
                      String sellerId, RedirectProduct redirect) {

    static final URI PRODUCTION_GATEWAY = URI.create("https://openapi.alipay.com/gateway.do");

    /** Which of Alipay's payment pages a {@code REDIRECT} checkout sends the payer to. */
    enum RedirectProduct {
        /** 电脑网站支付, {@code alipay.trade.page.pay}: the desktop cashier (log in, or scan its QR code). */
        PAGE("alipay.trade.page.pay", "FAST_INSTANT_TRADE_PAY"),
        /** 手机网站支付, {@code alipay.trade.wap.pay}: the cashier for a phone's browser, which opens the Alipay app. */
        WAP("alipay.trade.wap.pay", "QUICK_WAP_WAY");

        final String method;
        final String productCode;

        RedirectProduct(String method, String productCode) {
            this.method = method;
            this.productCode = productCode;
        }
    }

    AlipaySettings {
        Objects.requireNonNull(appId, "appId");
        Objects.requireNonNull(privateKey, "privateKey");
        Objects.requireNonNull(alipayPublicKey, "alipayPublicKey");
        Objects.requireNonNull(gatewayUrl, "gatewayUrl");
        Objects.requireNonNull(redirect, "redirect");
    }

    static AlipaySettings from(PaymentGatewayConfig config) {
        String appId = config.require("app-id");
        if (!appId.matches("[0-9A-Za-z_-]{1,32}")) {
            throw invalid("app-id", "an application id of up to 32 letters and digits, e.g. 2021000123456789");
        }
        PrivateKey privateKey;
        try {
            privateKey = Rsa2.privateKey(config.require("private-key"));
        } catch (GeneralSecurityException e) {
            throw invalid("private-key", "the application's RSA private key, PKCS #8 in base64 (a PKCS #1 key: "
                    + "convert it with openssl pkcs8 -topk8 -nocrypt)");
        }
        PublicKey publicKey;
        try {
            publicKey = Rsa2.publicKey(config.require("public-key"));
        } catch (GeneralSecurityException e) {
            throw invalid("public-key", "Alipay's RSA public key (支付宝公钥) for this application, X.509 in base64");
        }
        if (((RSAKey) privateKey).getModulus().bitLength() < 2048 || ((RSAKey) publicKey).getModulus().bitLength() < 2048) {
            throw invalid("private-key", "RSA2 keys of at least 2048 bits");
        }
        URI gateway = config.option("gateway-url").map(AlipaySettings::gatewayUrl).orElse(PRODUCTION_GATEWAY);
        String sellerId = config.option("seller-id").map(String::strip).orElse(null);
        if (sellerId != null && !sellerId.matches("2088\\d{12}")) {
            throw invalid("seller-id", "the merchant's Alipay user id, 16 digits starting with 2088");
        }
        RedirectProduct redirect = config.option("redirect-product").map(AlipaySettings::redirect).orElse(RedirectProduct.PAGE);
        return new AlipaySettings(appId.strip(), privateKey, publicKey, gateway, sellerId, redirect);
    }

    private static URI gatewayUrl(String text) {
        try {
            URI uri = new URI(text.strip());
            if (uri.getHost() == null || !("https".equals(uri.getScheme()) || "http".equals(uri.getScheme()))) {
                throw invalid("gateway-url", "an http(s) URL, e.g. " + PRODUCTION_GATEWAY);
            }
            return uri;
        } catch (java.net.URISyntaxException e) {
            throw invalid("gateway-url", "an http(s) URL, e.g. " + PRODUCTION_GATEWAY);
        }
    }

    private static RedirectProduct redirect(String text) {
        return switch (text.strip().toLowerCase(Locale.ROOT)) {
            case "page" -> RedirectProduct.PAGE;
            case "wap" -> RedirectProduct.WAP;
            default -> throw invalid("redirect-product", "page (电脑网站支付) or wap (手机网站支付)");
        };
    }

    /** Names the key and what it must be, never the value (it may be a secret). */
    private static IllegalArgumentException invalid(String name, String expected) {
        return new IllegalArgumentException("apimodels.alipay." + name + " must be " + expected);
    }

    @Override
    public String toString() {
        return "AlipaySettings[appId=" + appId + ", gatewayUrl=" + gatewayUrl + ", sellerId=" + sellerId
                + ", redirect=" + redirect + "]";
    }
}
