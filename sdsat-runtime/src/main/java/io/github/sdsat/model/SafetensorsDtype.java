package io.github.sdsat.model;

import java.util.Arrays;
import java.util.Locale;
import java.util.Set;

/**
 * The floating-point element types this project reads and writes in safetensors files, with the exact
 * conversions between them and Java floats (Java 17 has no {@code Float.floatToFloat16}).
 */
public enum SafetensorsDtype {
    F32(4),
    F16(2),
    BF16(2);

    /** Every dtype name the safetensors format defines; those not in this enum are refused by name. */
    private static final Set<String> KNOWN_UNSUPPORTED = Set.of(
            "F64", "F8_E4M3", "F8_E5M2", "F8_E8M0", "F6_E2M3", "F6_E3M2", "F4", "I8", "I16", "I32", "I64", "U8", "U16",
            "U32", "U64", "BOOL", "C64");

    private static final float[] F16_TO_F32 = new float[1 << 16];

    static {
        for (int bits = 0; bits < F16_TO_F32.length; bits++) {
            F16_TO_F32[bits] = decodeF16(bits);
        }
    }

    private final int bytes;

    SafetensorsDtype(int bytes) {
        this.bytes = bytes;
    }

    /** Bytes per element. */
    public int bytes() {
        return bytes;
    }

    /**
     * The dtype for a safetensors header's {@code dtype} string.
     *
     * @param where names the tensor and file, for the message when the dtype is refused
     */
    public static SafetensorsDtype parse(String name, String where) {
        for (SafetensorsDtype dtype : values()) {
            if (dtype.name().equals(name)) {
                return dtype;
            }
        }
        String kind = KNOWN_UNSUPPORTED.contains(name == null ? "" : name.toUpperCase(Locale.ROOT))
                ? "unsupported dtype"
                : "unknown dtype";
        throw new IllegalArgumentException(where + " has " + kind + " '" + name + "'; supported dtypes are "
                + Arrays.toString(values()) + ". Convert the checkpoint to float32, float16 or bfloat16 "
                + "(quantized checkpoints are not supported).");
    }

    /** The {@code torch_dtype} name transformers uses for this dtype. */
    public String torchName() {
        return switch (this) {
            case F32 -> "float32";
            case F16 -> "float16";
            case BF16 -> "bfloat16";
        };
    }

    /** IEEE half bits (in the low 16 bits) to float; exact, including subnormals, infinities and NaN. */
    public static float f16BitsToFloat(int halfBits) {
        return F16_TO_F32[halfBits & 0xffff];
    }

    private static float decodeF16(int h) {
        int sign = (h & 0x8000) << 16;
        int exponent = (h >>> 10) & 0x1f;
        int mantissa = h & 0x3ff;
        if (exponent == 0) {
            // Zero or subnormal: mantissa * 2^-24, exact in float.
            float magnitude = mantissa * 0x1p-24f;
            return sign != 0 ? -magnitude : magnitude;
        }
        if (exponent == 0x1f) {
            return Float.intBitsToFloat(sign | 0x7f800000 | (mantissa << 13));
        }
        return Float.intBitsToFloat(sign | ((exponent + 112) << 23) | (mantissa << 13));
    }

    /** Float to IEEE half bits, rounding to nearest with ties to even; overflow gives infinity, NaN stays NaN. */
    public static short floatToF16Bits(float value) {
        int bits = Float.floatToRawIntBits(value);
        int sign = (bits >>> 16) & 0x8000;
        int abs = bits & 0x7fffffff;
        if (abs >= 0x7f800000) {
            if (abs == 0x7f800000) {
                return (short) (sign | 0x7c00);
            }
            // NaN: keep it quiet and keep the top payload bits.
            return (short) (sign | 0x7e00 | ((abs >>> 13) & 0x3ff));
        }
        if (abs >= 0x477ff000) {
            // >= 65520, the midpoint between the largest half (65504) and 65536: ties to even round up to infinity.
            return (short) (sign | 0x7c00);
        }
        if (abs >= 0x38800000) {
            // Normal half (>= 2^-14): rebias the exponent (127 -> 15) and round the 13 dropped mantissa bits.
            int half = ((abs >>> 23) - 112) << 10 | ((abs & 0x7fffff) >>> 13);
            int dropped = abs & 0x1fff;
            if (dropped > 0x1000 || (dropped == 0x1000 && (half & 1) != 0)) {
                half++; // a carry into the exponent is the correct next representable value
            }
            return (short) (sign | half);
        }
        if (abs <= 0x33000000) {
            // <= 2^-25, half of the smallest subnormal: rounds to (signed) zero; the exact tie goes to even zero.
            return (short) sign;
        }
        // Subnormal half: value in units of 2^-24 is mantissa * 2^(exponent - 126), with a shift of 14..24.
        int exponent = abs >>> 23;
        int mantissa = (abs & 0x7fffff) | 0x800000;
        int shift = 126 - exponent;
        int half = mantissa >>> shift;
        int dropped = mantissa & ((1 << shift) - 1);
        int halfway = 1 << (shift - 1);
        if (dropped > halfway || (dropped == halfway && (half & 1) != 0)) {
            half++; // reaching 0x400 is the smallest normal half, encoded correctly as is
        }
        return (short) (sign | half);
    }

    /** bfloat16 bits (in the low 16 bits) to float; exact. */
    public static float bf16BitsToFloat(int bf16Bits) {
        return Float.intBitsToFloat((bf16Bits & 0xffff) << 16);
    }

    /** Float to bfloat16 bits, rounding to nearest with ties to even; NaN stays a (quiet) NaN. */
    public static short floatToBf16Bits(float value) {
        int bits = Float.floatToRawIntBits(value);
        if ((bits & 0x7fffffff) > 0x7f800000) {
            return (short) ((bits >>> 16) | 0x40);
        }
        int rounded = bits + 0x7fff + ((bits >>> 16) & 1);
        return (short) (rounded >>> 16);
    }
}
