import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * Prints the accuracy table from the rows the verdict tests recorded (attach-cli's Accuracy class):
 * per scenario, JDK and idle/load the verdicts given against the one expected, the confusion of
 * expected against given over all of them, and the counts. Exits 1 if any cause given was wrong
 * (or, with --require-rows, if there are no rows). See src/docs/verdicts.md, "Accuracy".
 *
 * Usage: java AccuracyTable.java DIR [--require-rows]
 */
public class AccuracyTable {
    private static final String NONE = "-";
    private static final String NOT_SLOW = "NOT_SLOW";

    record Row(String run, String test, String scenario, String jdk, String mode, String expected, String given) {
        String key() {
            return String.join("\t", test, scenario, jdk, mode);
        }
    }

    public static void main(String[] args) throws IOException {
        Path dir = Paths.get(args[0]);
        boolean requireRows = List.of(args).contains("--require-rows");
        List<Row> rows = read(dir);
        if (rows.isEmpty()) {
            System.out.println("accuracy: no rows in " + dir + " (no verdict test ran)");
            System.exit(requireRows ? 1 : 0);
        }
        // a selective run (-Dit.test) repeats other tests in the JDK 25 execution: the first run's rows count
        Set<String> main = rows.stream().filter(r -> r.run.equals("main")).map(Row::key).collect(Collectors.toSet());
        rows.removeIf(r -> !r.run.equals("main") && main.contains(r.key()));

        StringBuilder out = new StringBuilder();
        Map<String, List<Row>> groups = new LinkedHashMap<>();
        rows.stream().sorted((a, b) -> (a.test + a.scenario + a.mode + a.jdk).compareTo(b.test + b.scenario + b.mode + b.jdk))
                .forEach(r -> groups.computeIfAbsent(r.key() + "\t" + r.expected, k -> new ArrayList<>()).add(r));
        List<String[]> lines = new ArrayList<>();
        lines.add(new String[] {"test", "scenario", "jdk", "mode", "expected", "given", ""});
        for (List<Row> g : groups.values()) {
            Row r = g.get(0);
            String given = tally(g.stream().map(Row::given).collect(Collectors.toList()));
            long wrong = g.stream().filter(AccuracyTable::wrong).count();
            long unknown = g.stream().filter(AccuracyTable::unknown).count();
            String mark = r.expected.equals(NONE) ? "unlabelled" : wrong > 0 ? "WRONG" : unknown > 0 ? "unknown"
                    : g.stream().anyMatch(AccuracyTable::missed) ? "missed" : "ok";
            lines.add(new String[] {r.test, r.scenario, r.jdk, r.mode, r.expected, given, mark});
        }
        out.append("Verdicts per scenario (given: verdict ×calls; - = no slow call)\n");
        columns(lines, out);

        List<Row> labelled = rows.stream().filter(r -> !r.expected.equals(NONE)).collect(Collectors.toList());
        Set<String> expectedSet = new LinkedHashSet<>();
        Set<String> givenSet = new LinkedHashSet<>();
        labelled.stream().map(Row::expected).sorted().forEach(expectedSet::add);
        labelled.stream().map(Row::given).sorted().forEach(givenSet::add);
        List<String[]> matrix = new ArrayList<>();
        List<String> head = new ArrayList<>(List.of("expected \\ given"));
        head.addAll(givenSet);
        matrix.add(head.toArray(new String[0]));
        for (String e : expectedSet) {
            List<String> line = new ArrayList<>(List.of(e));
            for (String g : givenSet) {
                long n = labelled.stream().filter(r -> r.expected.equals(e) && r.given.equals(g)).count();
                line.add(n == 0 ? "." : String.valueOf(n));
            }
            matrix.add(line.toArray(new String[0]));
        }
        out.append("\nConfusion over all labelled calls (rows: expected, columns: given)\n");
        columns(matrix, out);

        long wrong = labelled.stream().filter(AccuracyTable::wrong).count();
        long unknown = labelled.stream().filter(AccuracyTable::unknown).count();
        long missed = labelled.stream().filter(AccuracyTable::missed).count();
        long right = labelled.stream().filter(AccuracyTable::right).count();
        List<Row> unlabelled = rows.stream().filter(r -> r.expected.equals(NONE)).collect(Collectors.toList());
        out.append(String.format("%nlabelled calls: %d, right: %d%n", labelled.size(), right));
        out.append(String.format("wrong causes: %d (goal 0)%n", wrong));
        out.append(String.format("UNKNOWN where a cause was expected: %d (goal 0)%n", unknown));
        out.append(String.format("expected slow call not reported: %d%n", missed));
        out.append(String.format("unlabelled (no expected verdict: calls slow on their own under load; never wrong): %d%s%n",
                unlabelled.size(), unlabelled.isEmpty() ? "" : ", " + tally(unlabelled.stream().map(Row::given)
                        .collect(Collectors.toList()))));
        System.out.print(out);
        Files.writeString(dir.resolve("table.txt"), out);
        System.exit(wrong > 0 ? 1 : 0);
    }

    private static boolean right(Row r) {
        return r.given.equals(r.expected) || r.expected.equals(NOT_SLOW) && r.given.equals(NONE);
    }

    /** A cause was named, and it is not the one expected (for a call that must not be slow: any). */
    private static boolean wrong(Row r) {
        if (r.expected.equals(NONE) || r.given.equals(NONE) || r.given.equals(r.expected)) {
            return false;
        }
        return r.expected.equals(NOT_SLOW) || !r.given.equals("UNKNOWN");
    }

    private static boolean unknown(Row r) {
        return !r.expected.equals(NONE) && !r.expected.equals(NOT_SLOW) && r.given.equals("UNKNOWN");
    }

    private static boolean missed(Row r) {
        return !r.expected.equals(NONE) && !r.expected.equals(NOT_SLOW) && r.given.equals(NONE);
    }

    private static String tally(List<String> verdicts) {
        Map<String, Integer> n = new TreeMap<>();
        verdicts.forEach(v -> n.merge(v, 1, Integer::sum));
        return n.entrySet().stream().map(e -> e.getKey() + " ×" + e.getValue()).collect(Collectors.joining(", "));
    }

    private static List<Row> read(Path dir) throws IOException {
        List<Row> rows = new ArrayList<>();
        if (!Files.isDirectory(dir)) {
            return rows;
        }
        List<Path> files;
        try (Stream<Path> s = Files.list(dir)) {
            files = s.filter(p -> p.toString().endsWith(".tsv")).sorted().collect(Collectors.toList());
        }
        for (Path f : files) {
            for (String line : Files.readAllLines(f)) {
                String[] c = line.split("\t", -1);
                if (c.length == 7) {
                    rows.add(new Row(c[0], c[1], c[2], c[3], c[4], c[5], c[6]));
                }
            }
        }
        return rows;
    }

    private static void columns(List<String[]> lines, StringBuilder out) {
        int[] width = new int[lines.get(0).length];
        for (String[] l : lines) {
            for (int i = 0; i < l.length; i++) {
                width[i] = Math.max(width[i], l[i].length());
            }
        }
        for (String[] l : lines) {
            StringBuilder b = new StringBuilder();
            for (int i = 0; i < l.length; i++) {
                b.append(String.format("%-" + (width[i] + 2) + "s", l[i]));
            }
            out.append(b.toString().stripTrailing()).append('\n');
        }
    }
}
