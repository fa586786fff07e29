package io.github.sdsat.model;

import java.nio.FloatBuffer;

/** Where named Hugging Face tensors come from: a checkpoint on disk, or weights made in memory. */
public interface WeightSource {
    boolean has(String name);

    /** F32 data of the tensor in a direct native-order buffer; fails clearly when the shape differs. */
    FloatBuffer tensor(String name, long... expectedShape);
}
