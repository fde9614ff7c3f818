package io.wiretrace.analysis.verdict;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Locale;
import org.junit.jupiter.api.Test;

class BudgetTest {
    @Test
    void tenthsPrintsAsFormatDoes() {
        double[] values = {0, 0.04, 0.05, 0.96, 1, 9.95, 13.7, 63.99, 64, 1234.56};
        for (double x : values) {
            assertEquals(String.format(Locale.ROOT, "%.1f", x), Budget.tenths(x), "x=" + x);
        }
        for (long bytes = 0; bytes < 70L << 20; bytes += 104_729) {
            double mib = bytes / 1048576.0;
            assertEquals(String.format(Locale.ROOT, "%.1f", mib), Budget.tenths(mib), "bytes=" + bytes);
        }
    }

    @Test
    void describeSaysWhatIsKept() {
        Budget b = new Budget(64L << 20, 30_000_000_000L);
        assertEquals("evidence: 0.0 MiB of 64 MiB, kept 30 s back", b.describe());
    }
}
