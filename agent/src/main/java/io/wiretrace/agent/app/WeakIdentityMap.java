package io.wiretrace.agent.app;

import java.lang.ref.ReferenceQueue;
import java.lang.ref.WeakReference;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.function.Consumer;

/**
 * The app's objects (sockets, channels, TLS engines) to what the agent knows of them, held
 * weakly and told apart by identity: an object the app drops without closing stays collectable,
 * and its Cleaner still closes its file descriptor. A look-up walks an immutable chain without a
 * lock and allocates nothing (no key object, no thread-local: a virtual thread per request would
 * make one each); adding and removing lock one of 16 segments briefly, as a ConcurrentHashMap
 * locks a bin. What the GC cleared is handed back by {@link #expunge}.
 */
final class WeakIdentityMap<V> {
    private static final int SEGMENTS = 16;

    /** Holds its object weakly; what it maps to, so that an expunged entry still says. */
    private static final class Key<V> extends WeakReference<Object> {
        final int hash;
        final V value;

        Key(Object referent, int hash, V value, ReferenceQueue<Object> queue) {
            super(referent, queue);
            this.hash = hash;
            this.value = value;
        }
    }

    /** A link of a chain; chains are never changed, only replaced (a reader sees one whole). */
    private static final class Node<V> {
        final Key<V> key;
        final Node<V> next;

        Node(Key<V> key, Node<V> next) {
            this.key = key;
            this.next = next;
        }
    }

    private static final class Segment<V> {
        volatile AtomicReferenceArray<Node<V>> table = new AtomicReferenceArray<>(16);
        int count;
    }

    @SuppressWarnings("unchecked")
    private final Segment<V>[] segments = new Segment[SEGMENTS];
    private final ReferenceQueue<Object> queue = new ReferenceQueue<>();
    private final AtomicInteger size = new AtomicInteger();

    WeakIdentityMap() {
        for (int i = 0; i < SEGMENTS; i++) {
            segments[i] = new Segment<>();
        }
    }

    private static int hash(Object o) {
        int h = System.identityHashCode(o);
        return h ^ (h >>> 16);
    }

    private Segment<V> segment(int hash) {
        return segments[hash & (SEGMENTS - 1)];
    }

    private static <V> int index(int hash, AtomicReferenceArray<Node<V>> table) {
        return (hash >>> 4) & (table.length() - 1);
    }

    V get(Object o) {
        if (o == null) {
            return null;
        }
        int h = hash(o);
        AtomicReferenceArray<Node<V>> t = segment(h).table;
        for (Node<V> n = t.get(index(h, t)); n != null; n = n.next) {
            if (n.key.get() == o) {
                return n.key.value;
            }
        }
        return null;
    }

    boolean containsKey(Object o) {
        return get(o) != null;
    }

    /** Maps {@code o} to {@code value} unless it maps to something already: that is returned then, else null. */
    V putIfAbsent(Object o, V value) {
        int h = hash(Objects.requireNonNull(o)); // as a ConcurrentHashMap: a null key would stay for good
        Segment<V> s = segment(h);
        synchronized (s) {
            AtomicReferenceArray<Node<V>> t = s.table;
            int i = index(h, t);
            for (Node<V> n = t.get(i); n != null; n = n.next) {
                if (n.key.get() == o) {
                    return n.key.value;
                }
            }
            t.set(i, new Node<>(new Key<>(o, h, value, queue), t.get(i)));
            s.count++;
            size.incrementAndGet();
            if (s.count > t.length() * 3 / 4) {
                grow(s);
            }
            return null;
        }
    }

    void put(Object o, V value) {
        remove(o);
        putIfAbsent(o, value);
    }

    /** Removes {@code o}'s entry; what it mapped to, or null. */
    V remove(Object o) {
        if (o == null) {
            return null;
        }
        int h = hash(o);
        Segment<V> s = segment(h);
        Key<V> removed;
        synchronized (s) {
            removed = unlink(s, h, o, null);
        }
        if (removed == null) {
            return null;
        }
        removed.clear(); // not enqueued: its end is the caller's
        return removed.value;
    }

    /** Hands each entry whose object the GC collected to {@code gone}, once, and forgets it. */
    @SuppressWarnings("unchecked")
    void expunge(Consumer<V> gone) {
        for (Object r; (r = queue.poll()) != null;) {
            Key<V> k = (Key<V>) r;
            Segment<V> s = segment(k.hash);
            Key<V> removed;
            synchronized (s) {
                removed = unlink(s, k.hash, null, k);
            }
            if (removed != null && gone != null) {
                gone.accept(removed.value);
            }
        }
    }

    int size() {
        return size.get();
    }

    void clear() {
        for (Segment<V> s : segments) {
            synchronized (s) {
                AtomicReferenceArray<Node<V>> t = s.table;
                for (int i = 0; i < t.length(); i++) {
                    for (Node<V> n = t.get(i); n != null; n = n.next) {
                        n.key.clear();
                    }
                }
                s.table = new AtomicReferenceArray<>(16);
                size.addAndGet(-s.count);
                s.count = 0;
            }
        }
    }

    /** On {@code s}'s lock: removes the entry of object {@code o} or of key {@code k}; its key, or null. */
    private Key<V> unlink(Segment<V> s, int h, Object o, Key<V> k) {
        AtomicReferenceArray<Node<V>> t = s.table;
        int i = index(h, t);
        Node<V> head = t.get(i);
        Node<V> found = head;
        while (found != null && (k != null ? found.key != k : found.key.get() != o)) {
            found = found.next;
        }
        if (found == null) {
            return null;
        }
        Node<V> chain = found.next; // the links before it are copied in front of the ones after it
        for (Node<V> n = head; n != found; n = n.next) {
            chain = new Node<>(n.key, chain);
        }
        t.set(i, chain);
        s.count--;
        size.decrementAndGet();
        return found.key;
    }

    /** On {@code s}'s lock: a table twice the size, of new links; readers go on in the old one meanwhile. */
    private static <V> void grow(Segment<V> s) {
        AtomicReferenceArray<Node<V>> old = s.table;
        AtomicReferenceArray<Node<V>> t = new AtomicReferenceArray<>(old.length() * 2);
        for (int i = 0; i < old.length(); i++) {
            for (Node<V> n = old.get(i); n != null; n = n.next) {
                int j = index(n.key.hash, t);
                t.set(j, new Node<>(n.key, t.get(j)));
            }
        }
        s.table = t;
    }
}
