package app.apimodels.payment.alipay;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.X509EncodedKeySpec;
import java.util.Base64;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * Alipay's RSA2 signatures with the JDK alone: SHA256withRSA (PKCS #1 v1.5) over UTF-8 text, the
 * signature in standard base64. Parameters are signed as their "sign content": the pairs sorted
 * by name, {@code name=value} with raw (not URL-encoded) values, joined with {@code &}, leaving out
 * empty values and the names excluded.
 */
final class Rsa2 {

    static final String SIGN_TYPE = "RSA2";
    private static final String ALGORITHM = "SHA256withRSA";

    private Rsa2() {
    }

    /** The text that is signed for {@code params}, without the {@code excluded} names and empty values. */
    static String signContent(Map<String, String> params, Set<String> excluded) {
        return new TreeMap<>(params).entrySet().stream()
                .filter(e -> !excluded.contains(e.getKey()) && e.getValue() != null && !e.getValue().isEmpty())
                .map(e -> e.getKey() + "=" + e.getValue())
                .collect(Collectors.joining("&"));
    }

    static String sign(PrivateKey key, String content) {
        try {
            Signature signature = Signature.getInstance(ALGORITHM);
            signature.initSign(key);
            signature.update(content.getBytes(StandardCharsets.UTF_8));
            return Base64.getEncoder().encodeToString(signature.sign());
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot sign with the configured private key", e);
        }
    }

    /** Whether {@code sign} is Alipay's signature of {@code content}; false for anything malformed. */
    static boolean verify(PublicKey key, String content, String sign) {
        if (sign == null || sign.isEmpty()) {
            return false;
        }
        try {
            // MIME decoding tolerates the line breaks some proxies fold long values with.
            byte[] bytes = Base64.getMimeDecoder().decode(sign);
            Signature signature = Signature.getInstance(ALGORITHM);
            signature.initVerify(key);
            signature.update(content.getBytes(StandardCharsets.UTF_8));
            return signature.verify(bytes);
        } catch (IllegalArgumentException | GeneralSecurityException e) {
            return false;
        }
    }

    /** A PKCS #8 RSA private key in base64 (a PEM's body; header lines and whitespace are ignored). */
    static PrivateKey privateKey(String base64) throws GeneralSecurityException {
        return KeyFactory.getInstance("RSA").generatePrivate(new PKCS8EncodedKeySpec(pemBody(base64)));
    }

    /** An X.509 (SubjectPublicKeyInfo) RSA public key in base64 (a PEM's body, as above). */
    static PublicKey publicKey(String base64) throws GeneralSecurityException {
        return KeyFactory.getInstance("RSA").generatePublic(new X509EncodedKeySpec(pemBody(base64)));
    }

    private static byte[] pemBody(String text) throws GeneralSecurityException {
        String body = text.replaceAll("-----[A-Z ]+-----", "").replaceAll("\\s", "");
        try {
            return Base64.getDecoder().decode(body);
        } catch (IllegalArgumentException e) {
            throw new GeneralSecurityException("not base64", e);
        }
    }
}
