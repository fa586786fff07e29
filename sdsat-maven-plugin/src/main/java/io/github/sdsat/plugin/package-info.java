/** Thin Mojos: they parse parameters and call {@code sdsat-runtime}; no algorithm lives here. */
package io.github.sdsat.plugin;
