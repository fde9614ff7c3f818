/** tcpdump or wiretrace, as the benchmark drives them: one capture into one file per call of start. */
interface Capturer {
    String name();

    /** Starts capturing the benchmark's traffic; sets r.file (or at stop, where only then known). */
    void start(Row r) throws Exception;

    /** Notes the CPU counters at the start of the measured window. */
    void mark() throws Exception;

    /** Sets the CPU used since mark() in r. */
    void end(Row r) throws Exception;

    /** Stops the capture, closes its file and puts the capturer's own counts into r. */
    void stop(Row r) throws Exception;
}
