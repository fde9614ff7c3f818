package io.wiretrace.analysis.db;

/**
 * Statements as wiretrace records them: every literal (a quoted string, a number, a dollar-quoted
 * body, a bit or hex string) replaced by a parameter, as {@code pg_stat_statements} shows them —
 * {@code $n} after the statement's own highest {@code $k} for PostgreSQL, {@code ?} for MySQL —
 * comments dropped, runs of white space made one space, cut at {@link #MAX} characters. Literals
 * carry what must not be recorded (passwords, names, amounts); identifiers, quoted ones included,
 * are kept.
 */
public final class Sql {
    /** The longest statement recorded. */
    public static final int MAX = 1024;
    private static final String CUT = "…";

    private Sql() {
    }

    /** {@code sql} normalised; {@code dollar}: PostgreSQL's {@code $n} parameters, else MySQL's {@code ?}. */
    public static String normalize(CharSequence sql, boolean dollar) {
        int n = sql.length();
        int next = dollar ? highestParameter(sql) + 1 : 0;
        StringBuilder out = new StringBuilder(Math.min(n, 128));
        boolean space = false;
        int i = 0;
        while (i < n && out.length() < MAX) {
            char c = sql.charAt(i);
            char d = i + 1 < n ? sql.charAt(i + 1) : 0;
            int end;
            if (c == '-' && d == '-') {
                i = lineEnd(sql, i);
                space = true;
                continue;
            } else if (c == '/' && d == '*') {
                i = commentEnd(sql, i + 2);
                space = true;
                continue;
            } else if (Character.isWhitespace(c)) {
                i++;
                space = true;
                continue;
            }
            if (space && out.length() > 0) {
                out.append(' ');
            }
            space = false;
            if (c == '\'' || (!dollar && c == '"')) { // MySQL takes "…" as a string too
                end = quoteEnd(sql, i + 1, c, !dollar);
            } else if ((c == 'E' || c == 'e' || c == 'B' || c == 'b' || c == 'X' || c == 'x' || c == 'N' || c == 'n')
                    && d == '\'' && !identifierBefore(sql, i)) {
                end = quoteEnd(sql, i + 2, '\'', c == 'E' || c == 'e' || !dollar);
            } else if (dollar && c == '$' && (end = dollarQuoteEnd(sql, i)) > 0) {
                // a dollar-quoted body ($$…$$, $tag$…$tag$)
            } else if (isDigit(c) || (c == '.' && isDigit(d))) {
                if (identifierBefore(sql, i)) {
                    end = identifierEnd(sql, i); // part of a name: t1, col2
                    out.append(sql, i, end);
                    i = end;
                    continue;
                }
                end = numberEnd(sql, i);
            } else if (c == '"' || c == '`') {
                end = quoteEnd(sql, i + 1, c, false); // a quoted identifier: kept
                out.append(sql, i, Math.min(end, n));
                i = end;
                continue;
            } else if (dollar && c == '$' && isDigit(d)) {
                end = numberEnd(sql, i + 1); // a parameter: kept
                out.append(sql, i, end);
                i = end;
                continue;
            } else {
                end = isIdentifierPart(c) ? identifierEnd(sql, i) : i + 1;
                out.append(sql, i, end);
                i = end;
                continue;
            }
            out.append(dollar ? "$" + next++ : "?");
            i = end;
        }
        if (i < n && out.length() >= MAX) {
            out.setLength(MAX);
            out.append(CUT);
        }
        return out.toString();
    }

    /** The highest {@code $k} in the statement outside quotes and comments, or 0. */
    static int highestParameter(CharSequence sql) {
        int max = 0;
        int n = sql.length();
        int i = 0;
        while (i < n) {
            char c = sql.charAt(i);
            char d = i + 1 < n ? sql.charAt(i + 1) : 0;
            if (c == '\'' || c == '"') {
                i = quoteEnd(sql, i + 1, c, false);
            } else if (c == '-' && d == '-') {
                i = lineEnd(sql, i);
            } else if (c == '/' && d == '*') {
                i = commentEnd(sql, i + 2);
            } else if (c == '$' && isDigit(d) && !identifierBefore(sql, i)) {
                int end = numberEnd(sql, i + 1);
                int k = 0;
                for (int j = i + 1; j < end && k < 100_000; j++) {
                    k = k * 10 + sql.charAt(j) - '0';
                }
                max = Math.max(max, k);
                i = end;
            } else if (c == '$') {
                int end = dollarQuoteEnd(sql, i);
                i = end > 0 ? end : i + 1;
            } else {
                i++;
            }
        }
        return max;
    }

    /** After the closing quote (a doubled quote is part of the literal; a backslash escapes when allowed). */
    private static int quoteEnd(CharSequence sql, int i, char q, boolean backslash) {
        int n = sql.length();
        while (i < n) {
            char c = sql.charAt(i);
            if (backslash && c == '\\') {
                i += 2;
            } else if (c == q) {
                if (i + 1 < n && sql.charAt(i + 1) == q) {
                    i += 2;
                } else {
                    return i + 1;
                }
            } else {
                i++;
            }
        }
        return n;
    }

    /** After a dollar-quoted string that starts at {@code i}, or -1 if none starts there. */
    private static int dollarQuoteEnd(CharSequence sql, int i) {
        int n = sql.length();
        if (identifierBefore(sql, i)) {
            return -1;
        }
        int j = i + 1;
        while (j < n && sql.charAt(j) != '$') {
            char c = sql.charAt(j);
            if (!(Character.isLetter(c) || c == '_' || (j > i + 1 && isDigit(c)))) {
                return -1;
            }
            j++;
        }
        if (j >= n) {
            return -1;
        }
        String tag = sql.subSequence(i, j + 1).toString();
        int close = sql.toString().indexOf(tag, j + 1);
        return close < 0 ? n : close + tag.length();
    }

    private static int lineEnd(CharSequence sql, int i) {
        int n = sql.length();
        while (i < n && sql.charAt(i) != '\n') {
            i++;
        }
        return i;
    }

    private static int commentEnd(CharSequence sql, int i) {
        int n = sql.length();
        for (; i + 1 < n; i++) {
            if (sql.charAt(i) == '*' && sql.charAt(i + 1) == '/') {
                return i + 2;
            }
        }
        return n;
    }

    private static int numberEnd(CharSequence sql, int i) {
        int n = sql.length();
        if (i + 1 < n && sql.charAt(i) == '0' && (sql.charAt(i + 1) == 'x' || sql.charAt(i + 1) == 'X')) {
            i += 2;
            while (i < n && Character.digit(sql.charAt(i), 16) >= 0) {
                i++;
            }
            return i;
        }
        while (i < n) {
            char c = sql.charAt(i);
            if (isDigit(c) || c == '.' || c == '_') {
                i++;
            } else if ((c == 'e' || c == 'E') && i + 1 < n && (isDigit(sql.charAt(i + 1))
                    || ((sql.charAt(i + 1) == '-' || sql.charAt(i + 1) == '+') && i + 2 < n && isDigit(sql.charAt(i + 2))))) {
                i += 2;
            } else {
                break;
            }
        }
        return i;
    }

    private static int identifierEnd(CharSequence sql, int i) {
        int n = sql.length();
        while (i < n && isIdentifierPart(sql.charAt(i))) {
            i++;
        }
        return i;
    }

    private static boolean identifierBefore(CharSequence sql, int i) {
        return i > 0 && isIdentifierPart(sql.charAt(i - 1));
    }

    private static boolean isIdentifierPart(char c) {
        return Character.isLetterOrDigit(c) || c == '_' || c == '$';
    }

    private static boolean isDigit(char c) {
        return c >= '0' && c <= '9';
    }
}
