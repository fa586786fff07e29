package io.github.sdsat;

/** A user-facing failure: the message names the problem and the fix. */
public class SdsatException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public SdsatException(String message) {
        super(message);
    }

    public SdsatException(String message, Throwable cause) {
        super(message, cause);
    }
}
