package io.github.sdsat;

/**
 * A failure the user can act on: bad input (a model folder, a file, a parameter), described by a message that
 * names the problem, the file or parameter, and the fix.
 */
public class SdsatException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public SdsatException(String message) {
        super(message);
    }

    public SdsatException(String message, Throwable cause) {
        super(message, cause);
    }
}
