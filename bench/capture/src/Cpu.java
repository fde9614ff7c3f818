import com.sun.jna.Library;
import com.sun.jna.Native;
import com.sun.jna.Structure;
import java.util.List;

/**
 * CPU time of a whole process (all its threads, also ended ones; user + system) in nanoseconds,
 * from the process's POSIX CPU clock: clock_gettime(MAKE_PROCESS_CPUCLOCK(pid, CPUCLOCK_SCHED)).
 * The JDK's OperatingSystemMXBean.getProcessCpuTime() uses times() and has only 10 ms resolution.
 */
final class Cpu {
    public static class Timespec extends Structure {
        public long tv_sec;
        public long tv_nsec;

        @Override
        protected List<String> getFieldOrder() {
            return List.of("tv_sec", "tv_nsec");
        }
    }

    interface C extends Library {
        C INSTANCE = Native.load("c", C.class);

        int clock_gettime(int clockId, Timespec ts);
    }

    /** ns of CPU used by process pid so far; -1 if it cannot be read (e.g. the process is gone). */
    static long processNanos(long pid) {
        int clock = (int) ((~pid) << 3) | 2; // CPUCLOCK_SCHED, process-wide
        Timespec ts = new Timespec();
        if (C.INSTANCE.clock_gettime(clock, ts) != 0) {
            return -1;
        }
        return ts.tv_sec * 1_000_000_000L + ts.tv_nsec;
    }

    static long selfNanos() {
        return processNanos(ProcessHandle.current().pid());
    }

    public static void main(String[] args) {
        for (String a : args) {
            System.out.println(a + " " + processNanos(Long.parseLong(a)));
        }
    }
}
