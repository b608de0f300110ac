package io.chartgate.tls;

import java.nio.file.Path;

/** A TLS file that cannot be used, with the file and what is wrong with it (never a password). */
public final class TlsException extends Exception {

    private final transient Path file;
    private final String problem;

    public TlsException(Path file, String problem) {
        super(file + ": " + problem);
        this.file = file;
        this.problem = problem;
    }

    public TlsException(Path file, String problem, Throwable cause) {
        super(file + ": " + problem, cause);
        this.file = file;
        this.problem = problem;
    }

    public Path file() {
        return file;
    }

    public String problem() {
        return problem;
    }
}
