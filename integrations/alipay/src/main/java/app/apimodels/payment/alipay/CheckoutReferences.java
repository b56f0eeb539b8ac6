package app.apimodels.payment.alipay;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.time.Instant;
import java.util.Arrays;
import java.util.Base64;
import java.util.Optional;

/**
 * The gateway order ids this gateway hands out: {@code <out_trade_no>.<expiry>.<tag>}.
 *
 * <p>Alipay creates a trade only when the payer scans the QR code or opens the payment page, so
 * until then {@code alipay.trade.query} cannot tell a checkout nobody opened yet from an order it
 * never heard of (both are {@code ACQ.TRADE_NOT_EXIST}). The id therefore carries the checkout's
 * expiry and a MAC made with a key derived from the application's private key: an id that
 * verifies is a checkout this application created, pending until its expiry and expired after it.
 */
final class CheckoutReferences {

    /** A checkout this gateway created. */
    record Reference(String outTradeNo, Instant expiresAt) {
    }

    private static final int TAG_BYTES = 16;
    private final byte[] key;

    CheckoutReferences(PrivateKey applicationKey) {
        try {
            MessageDigest sha256 = MessageDigest.getInstance("SHA-256");
            sha256.update("apimodels alipay checkout reference\n".getBytes(StandardCharsets.UTF_8));
            key = sha256.digest(applicationKey.getEncoded());
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    String issue(String outTradeNo, Instant expiresAt) {
        String signed = outTradeNo + "." + (expiresAt == null ? 0 : expiresAt.getEpochSecond());
        return signed + "." + Base64.getUrlEncoder().withoutPadding().encodeToString(tag(signed));
    }

    /** The checkout {@code gatewayOrderId} names, if this gateway issued it. */
    Optional<Reference> read(String gatewayOrderId) {
        int last = gatewayOrderId.lastIndexOf('.');
        int first = gatewayOrderId.indexOf('.');
        if (first <= 0 || last == first) {
            return Optional.empty();
        }
        String signed = gatewayOrderId.substring(0, last);
        byte[] tag;
        try {
            tag = Base64.getUrlDecoder().decode(gatewayOrderId.substring(last + 1));
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
        if (!MessageDigest.isEqual(tag, tag(signed))) {
            return Optional.empty();
        }
        long expiry = Long.parseLong(signed.substring(first + 1));
        return Optional.of(new Reference(signed.substring(0, first), expiry == 0 ? null : Instant.ofEpochSecond(expiry)));
    }

    private byte[] tag(String signed) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key, "HmacSHA256"));
            return Arrays.copyOf(mac.doFinal(signed.getBytes(StandardCharsets.UTF_8)), TAG_BYTES);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }
}
