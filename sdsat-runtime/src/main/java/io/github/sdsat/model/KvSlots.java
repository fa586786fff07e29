package io.github.sdsat.model;

/**
 * What both KV cache storages share: the capacity, the logical length and the checks of {@link #truncate} and
 * {@link #compact}; a storage moves the slots ({@link #moveSlots}) and the pass that owns it {@link #advance}s the
 * length after appending.
 */
abstract class KvSlots implements KvCache {
    /** Slots the cache holds. */
    final int capacity;
    /** K/V heads per slot and floats per head: one slot of one layer is kvHeads * headDim values. */
    final int kvHeads;

    final int headDim;
    private int length;

    KvSlots(LlamaConfig config, int capacity) {
        if (capacity <= 0) {
            throw new IllegalArgumentException("KV cache capacity must be positive, got " + capacity);
        }
        if (capacity > config.maxPositions()) {
            throw new IllegalArgumentException("KV cache capacity " + capacity + " exceeds the model's "
                    + "max_position_embeddings " + config.maxPositions());
        }
        this.capacity = capacity;
        this.kvHeads = config.numKvHeads();
        this.headDim = config.headDim();
    }

    @Override
    public final int length() {
        return length;
    }

    @Override
    public final int capacity() {
        return capacity;
    }

    @Override
    public final void truncate(int n) {
        if (n < 0 || n > length) {
            throw new IllegalArgumentException("Cannot truncate a KV cache of length " + length + " to " + n);
        }
        length = n;
    }

    @Override
    public final void compact(int prefix, int[] slots) {
        if (prefix < 0 || prefix > length) {
            throw new IllegalArgumentException("Compaction prefix " + prefix + " outside cache length " + length);
        }
        for (int s : slots) {
            if (s < prefix || s >= length) {
                throw new IllegalArgumentException(
                        "Slot " + s + " is not an uncommitted slot in [" + prefix + ", " + length + ")");
            }
        }
        if (slots.length == 0) {
            length = prefix;
            return;
        }
        boolean inPlace = true;
        for (int i = 0; i < slots.length; i++) {
            inPlace &= slots[i] == prefix + i;
        }
        if (!inPlace) {
            moveSlots(prefix, slots);
        }
        length = prefix + slots.length;
    }

    /**
     * Copies slots {@code slots} (valid, uncommitted, not already in place) of every layer's keys and values to
     * {@code [prefix, prefix + slots.length)}; sources and destinations may overlap.
     */
    abstract void moveSlots(int prefix, int[] slots);

    /** Commits the {@code n} slots a pass has just written after the committed ones. */
    final void advance(long n) {
        length += (int) n;
    }
}
