package io.wiretrace.analysis.redact;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Masks the secrets in a JFR file in place. A recording's file holds whole chunks, and the JVM
 * writes into each chunk's start the events of every recording running then: an app's own
 * recording (-XX:StartFlightRecording) brings its system properties, environment variables and
 * command line ({@code jdk.InitialSystemProperty}, {@code jdk.InitialEnvironmentVariable},
 * {@code jdk.JVMInformation}) into wiretrace's. Each such string keeps its length and encoding,
 * its secret characters become {@code *} (by {@link Secrets}): no offset in the file changes, and
 * every reader of JFR reads it as before. The JDK's own filter (RecordingFile.write, JDK 19) is not
 * in the JDKs wiretrace runs on.
 */
public final class JfrScrub {
    /** The events and their string fields that hold secrets; a field mapped to a name is a value named by that field. */
    private static final Map<String, Map<String, String>> FIELDS = Map.of(
            "jdk.InitialSystemProperty", Map.of("value", "key"),
            "jdk.InitialEnvironmentVariable", Map.of("value", "key"),
            "jdk.JVMInformation", Map.of("jvmArguments", "", "javaArguments", "", "jvmFlags", ""),
            "jdk.SystemProcess", Map.of("commandLine", ""),
            "jdk.JavaAgent", Map.of("options", ""),
            "jdk.NativeAgent", Map.of("options", ""));
    private static final int HEADER = 68;
    private static final long METADATA = 0;
    private static final long CHECKPOINT = 1;

    private JfrScrub() {
    }

    /** Masks the secrets of the JFR file at {@code file}; returns how many strings changed. */
    public static int scrub(Path file) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            long size = ch.size();
            int changed = 0;
            for (long pos = 0; pos < size; ) {
                ByteBuffer header = ByteBuffer.allocate(HEADER);
                if (size - pos < HEADER || ch.read(header, pos) < HEADER || header.getInt(0) != 0x464c5200) {
                    throw new IOException("not a JFR chunk at byte " + pos + " of " + file);
                }
                long chunk = header.getLong(8);
                if (chunk < HEADER || chunk > size - pos || chunk > Integer.MAX_VALUE) {
                    throw new IOException("a chunk of " + chunk + " bytes at byte " + pos + " of " + file
                            + " (" + size + " bytes)");
                }
                MappedByteBuffer b = ch.map(FileChannel.MapMode.READ_WRITE, pos, chunk);
                try {
                    changed += chunk(b, header.getLong(24));
                } catch (RuntimeException e) { // a position or a count out of bounds: a damaged chunk
                    throw new IOException("cannot read the chunk at byte " + pos + " of " + file + ": " + e, e);
                }
                b.force();
                pos += chunk;
            }
            return changed;
        }
    }

    /** One chunk, from its metadata: its events of the types above, then the pooled strings they named. */
    static int chunk(ByteBuffer b, long metadataOffset) throws IOException {
        Map<Long, Type> types = metadata(new Reader(b, (int) metadataOffset));
        Map<Long, Type> targets = new HashMap<>();
        for (Type t : types.values()) {
            if (FIELDS.containsKey(t.name)) {
                targets.put(t.id, t);
            }
        }
        if (targets.isEmpty()) {
            return 0;
        }
        Map<Long, String> pooled = new HashMap<>(); // a string pool's key: the name of the value it is, or ""
        int changed = 0;
        List<Integer> checkpoints = new ArrayList<>();
        for (int at = HEADER; at < b.limit(); ) {
            Reader r = new Reader(b, at);
            int size = r.varint();
            if (size <= 0) {
                throw new IOException("an event of " + size + " bytes at byte " + at);
            }
            long typeId = r.varlong();
            Type t = targets.get(typeId);
            if (t != null) {
                changed += event(r, t, types, pooled);
            } else if (typeId == CHECKPOINT) {
                checkpoints.add(at);
            }
            at += size;
        }
        if (!pooled.isEmpty()) {
            for (int at : checkpoints) {
                changed += checkpoint(new Reader(b, at), types, pooled);
            }
        }
        return changed;
    }

    private static int event(Reader r, Type t, Map<Long, Type> types, Map<Long, String> pooled) throws IOException {
        Map<String, String> wanted = FIELDS.get(t.name);
        Map<String, Integer> at = new HashMap<>();
        Map<String, String> values = new HashMap<>();
        for (Field f : t.fields) {
            if (wanted.containsKey(f.name) || wanted.containsValue(f.name)) {
                boolean string = "java.lang.String".equals(type(types, f.type).name);
                if (string && f.pooled && !f.array && wanted.get(f.name) != null) {
                    String nameField = wanted.get(f.name);
                    pooled.put(r.varlong(), nameField.isEmpty() || values.get(nameField) == null ? "" : values.get(nameField));
                    continue;
                }
                if (f.array || f.pooled || !string) {
                    skip(r, f, types);
                    continue;
                }
                at.put(f.name, r.at);
                values.put(f.name, r.string());
            } else {
                skip(r, f, types);
            }
        }
        int changed = 0;
        for (Map.Entry<String, Integer> e : at.entrySet()) {
            String nameField = wanted.get(e.getKey());
            if (nameField == null) {
                continue; // the name itself
            }
            String name = nameField.isEmpty() ? null : values.get(nameField);
            Reader s = new Reader(r.b, e.getValue());
            if (s.b.get(s.at) == 2) { // in the chunk's string pool
                s.at++;
                pooled.put(s.varlong(), name == null ? "" : name);
            } else if (mask(s, name)) {
                changed++;
            }
        }
        return changed;
    }

    /** The constant pools of a checkpoint event, its strings named by the events masked. */
    private static int checkpoint(Reader r, Map<Long, Type> types, Map<Long, String> pooled) throws IOException {
        r.varint(); // size
        r.varlong(); // type
        r.varlong(); // start
        r.varlong(); // duration
        r.varlong(); // delta to the previous checkpoint
        r.at++; // flush, or the checkpoint's type
        int changed = 0;
        for (int pools = r.varint(); pools > 0; pools--) {
            Type t = type(types, r.varlong());
            for (int n = r.varint(); n > 0; n--) {
                long key = r.varlong();
                if ("java.lang.String".equals(t.name)) {
                    String name = pooled.get(key);
                    if (name != null && mask(new Reader(r.b, r.at), name.isEmpty() ? null : name)) {
                        changed++;
                    }
                    r.string();
                } else {
                    value(r, t, types);
                }
            }
        }
        return changed;
    }

    /** Masks the inline string at {@code r}; whether anything changed. */
    private static boolean mask(Reader r, String name) throws IOException {
        int start = r.at;
        String s = r.string();
        if (s == null || s.isEmpty()) {
            return false;
        }
        String masked = Secrets.mask(name, s);
        if (masked.equals(s)) {
            return false;
        }
        Reader w = new Reader(r.b, start);
        int encoding = w.b.get(w.at++);
        int len = w.varint();
        if (encoding == 4) { // chars, each a varint: a '*' padded to the same bytes
            for (int i = 0; i < len; i++) {
                int from = w.at;
                w.varlong();
                if (masked.charAt(i) == '*' && s.charAt(i) != '*') {
                    for (int k = from; k < w.at; k++) {
                        int low = k == from ? '*' : 0;
                        w.b.put(k, (byte) (k == w.at - 1 ? low : low | 0x80));
                    }
                }
            }
            return true;
        }
        // UTF-8 or Latin-1: each masked character's bytes become '*'
        int at = w.at;
        if (encoding == 3 && s.getBytes(StandardCharsets.UTF_8).length != len) {
            for (int k = 0; k < len; k++) { // not UTF-8 as Java writes it: no telling which bytes are whose
                w.b.put(at + k, (byte) '*');
            }
            return true;
        }
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            int bytes = encoding == 5 ? 1 : c < 0x80 ? 1 : c < 0x800 ? 2 : Character.isHighSurrogate(c) ? 4 : 3;
            boolean hide = masked.charAt(i) == '*' && c != '*';
            if (bytes == 4) {
                i++; // the pair is one code point
            }
            for (int k = 0; k < bytes; k++) {
                if (hide) {
                    w.b.put(at + k, (byte) '*');
                }
            }
            at += bytes;
        }
        return true;
    }

    private static void skip(Reader r, Field f, Map<Long, Type> types) throws IOException {
        int n = f.array ? r.varint() : 1;
        for (int i = 0; i < n; i++) {
            if (f.pooled) {
                r.varlong();
            } else {
                value(r, type(types, f.type), types);
            }
        }
    }

    private static void value(Reader r, Type t, Map<Long, Type> types) throws IOException {
        switch (t.name) {
            case "boolean":
            case "byte":
                r.at++;
                break;
            case "char":
            case "short":
            case "int":
            case "long":
                r.varlong();
                break;
            case "float":
                r.at += 4;
                break;
            case "double":
                r.at += 8;
                break;
            case "java.lang.String":
                r.string();
                break;
            default:
                for (Field f : t.fields) {
                    skip(r, f, types);
                }
        }
    }

    private static Type type(Map<Long, Type> types, long id) throws IOException {
        Type t = types.get(id);
        if (t == null) {
            throw new IOException("type " + id + " is not in the chunk's metadata");
        }
        return t;
    }

    /** The classes of the chunk's metadata event, with their fields in the order they are written. */
    private static Map<Long, Type> metadata(Reader r) throws IOException {
        r.varint(); // size
        if (r.varlong() != METADATA) {
            throw new IOException("no metadata event at byte " + (r.at - 1));
        }
        r.varlong(); // start
        r.varlong(); // duration
        r.varlong(); // metadata id
        String[] strings = new String[r.varint()];
        for (int i = 0; i < strings.length; i++) {
            strings[i] = r.string();
        }
        Map<Long, Type> types = new HashMap<>();
        Element root = element(r, strings, 0);
        for (Element m : root.children) {
            if (!m.name.equals("metadata")) {
                continue;
            }
            for (Element c : m.children) {
                if (!c.name.equals("class")) {
                    continue;
                }
                Type t = new Type(Long.parseLong(c.attributes.get("id")), c.attributes.get("name"));
                for (Element f : c.children) {
                    if (f.name.equals("field")) {
                        t.fields.add(new Field(f.attributes.get("name"), Long.parseLong(f.attributes.get("class")),
                                "true".equals(f.attributes.get("constantPool")), "1".equals(f.attributes.get("dimension"))));
                    }
                }
                types.put(t.id, t);
            }
        }
        return types;
    }

    private static Element element(Reader r, String[] strings, int depth) throws IOException {
        if (depth > 32) {
            throw new IOException("metadata nested deeper than 32");
        }
        Element e = new Element(strings[r.varint()]);
        for (int n = r.varint(); n > 0; n--) {
            e.attributes.put(strings[r.varint()], strings[r.varint()]);
        }
        for (int n = r.varint(); n > 0; n--) {
            e.children.add(element(r, strings, depth + 1));
        }
        return e;
    }

    private static final class Element {
        final String name;
        final Map<String, String> attributes = new HashMap<>();
        final List<Element> children = new ArrayList<>();

        Element(String name) {
            this.name = name;
        }
    }

    private static final class Type {
        final long id;
        final String name;
        final List<Field> fields = new ArrayList<>();

        Type(long id, String name) {
            this.id = id;
            this.name = name;
        }
    }

    private static final class Field {
        final String name;
        final long type;
        final boolean pooled;
        final boolean array;

        Field(String name, long type, boolean pooled, boolean array) {
            this.name = name;
            this.type = type;
            this.pooled = pooled;
            this.array = array;
        }
    }

    /** JFR's encoding: integers as LEB128 varints (the ninth byte whole), strings tagged by their encoding. */
    private static final class Reader {
        final ByteBuffer b;
        int at;

        Reader(ByteBuffer b, int at) {
            this.b = b;
            this.at = at;
        }

        long varlong() {
            long v = 0;
            for (int i = 0; i < 8; i++) {
                int x = b.get(at++);
                v |= (long) (x & 0x7f) << (7 * i);
                if (x >= 0) {
                    return v;
                }
            }
            return v | (long) (b.get(at++) & 0xff) << 56;
        }

        int varint() throws IOException {
            long v = varlong();
            if (v < 0 || v > Integer.MAX_VALUE) {
                throw new IOException("a count of " + v + " at byte " + at);
            }
            return (int) v;
        }

        String string() throws IOException {
            int encoding = b.get(at++);
            switch (encoding) {
                case 0:
                    return null;
                case 1:
                    return "";
                case 2:
                    varlong();
                    return null;
                case 3:
                case 5: {
                    int len = varint();
                    byte[] bytes = new byte[len];
                    ByteBuffer d = b.duplicate();
                    d.position(at);
                    d.get(bytes);
                    at += len;
                    return new String(bytes, encoding == 3 ? StandardCharsets.UTF_8 : StandardCharsets.ISO_8859_1);
                }
                case 4: {
                    int len = varint();
                    StringBuilder s = new StringBuilder(len);
                    for (int i = 0; i < len; i++) {
                        s.append((char) varlong());
                    }
                    return s.toString();
                }
                default:
                    throw new IOException("a string of encoding " + encoding + " at byte " + (at - 1));
            }
        }
    }
}
