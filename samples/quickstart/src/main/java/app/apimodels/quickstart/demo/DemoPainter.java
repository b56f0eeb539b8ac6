package app.apimodels.quickstart.demo;

import javax.imageio.ImageIO;
import java.awt.Color;
import java.awt.GradientPaint;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * Draws the demo image model's pictures: a small PNG of a gradient and a few shapes whose colours,
 * places and sizes come from the SHA-256 of the prompt, so one prompt always gives the same bytes
 * and another prompt a visibly different picture. DEMO output, not a model; no text is drawn, so
 * no font is needed on a headless server.
 */
final class DemoPainter {

    static final int SIZE = 256;
    private static final int SHAPES = 6;

    private DemoPainter() {
    }

    /** The {@code index}-th picture for {@code prompt} (several images of one prompt differ), as PNG bytes. */
    static byte[] png(String prompt, int index) {
        byte[] h = sha256(prompt + "\u0000" + index);
        BufferedImage image = new BufferedImage(SIZE, SIZE, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = image.createGraphics();
        try {
            // Plain pixel rules: the same bytes on every JVM and platform.
            g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_OFF);
            g.setRenderingHint(RenderingHints.KEY_RENDERING, RenderingHints.VALUE_RENDER_SPEED);
            g.setPaint(new GradientPaint(0, 0, color(h, 0), 0, SIZE, color(h, 3)));
            g.fillRect(0, 0, SIZE, SIZE);
            for (int i = 0; i < SHAPES; i++) {
                int b = 6 + i * 4;
                g.setColor(color(h, b % (h.length - 2)));
                int x = u(h[(b + 1) % h.length]) % (SIZE - 32);
                int y = u(h[(b + 2) % h.length]) % (SIZE - 32);
                int d = 24 + u(h[(b + 3) % h.length]) % 96;
                if ((h[b % h.length] & 1) == 0) {
                    g.fillOval(x, y, d, d);
                } else {
                    g.fillRect(x, y, d, d * 2 / 3);
                }
            }
        } finally {
            g.dispose();
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            ImageIO.write(image, "png", out);
        } catch (IOException e) {
            throw new UncheckedIOException("writing a PNG into memory cannot fail", e);
        }
        return out.toByteArray();
    }

    private static Color color(byte[] h, int at) {
        return new Color(u(h[at]), u(h[at + 1]), u(h[at + 2]));
    }

    private static int u(byte b) {
        return b & 0xff;
    }

    private static byte[] sha256(String text) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("Every Java runtime has SHA-256", e);
        }
    }
}
