package io.github.sdsat;

/** Failure of an SDSAT operation whose message names the problem and how to fix it. */
public class SdsatException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public SdsatException(String message) {
    super(message);
  }

  public SdsatException(String message, Throwable cause) {
    super(message, cause);
  }
}
