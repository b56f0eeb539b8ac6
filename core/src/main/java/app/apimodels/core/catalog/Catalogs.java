package app.apimodels.core.catalog;

import java.math.BigDecimal;
import java.util.Map;
import java.util.regex.Pattern;

/** Field checks shared by the catalog entry parsers. */
final class Catalogs {

    private static final Pattern ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._:/@-]{0,199}");

    private Catalogs() {
    }

    static Tree required(Tree parent, Map<String, Tree> m, String field) {
        Tree v = m.get(field);
        if (v == null || v.isNull()) {
            throw parent.error("missing required field '" + field + "'");
        }
        return v;
    }

    static String id(Tree parent, Map<String, Tree> m, String field) {
        Tree node = required(parent, m, field);
        String id = node.text();
        if (!ID.matcher(id).matches()) {
            throw node.error("must be 1-200 characters of letters, digits and . _ : / @ -");
        }
        return id;
    }

    /** A percentage with at most two decimals, as basis points. */
    static int markup(Tree node) {
        BigDecimal pct = node.decimal();
        if (pct.signum() < 0 || pct.compareTo(BigDecimal.valueOf(10_000)) > 0) {
            throw node.error("must be a percentage between 0 and 10000");
        }
        try {
            return pct.movePointRight(2).intValueExact();
        } catch (ArithmeticException e) {
            throw node.error("must have at most two decimals");
        }
    }
}
