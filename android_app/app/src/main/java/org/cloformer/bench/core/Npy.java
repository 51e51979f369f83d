package org.cloformer.bench.core;

import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.FileInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A NumPy .npy file, version 1.0, of little-endian float32 in C order: the check bundle's format. The
 * header is one ASCII Python dict (descr, fortran_order, shape), so no library is needed.
 */
public final class Npy {
    private static final byte[] MAGIC = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'};
    private static final Pattern DESCR = Pattern.compile("'descr':\\s*'([^']*)'");
    private static final Pattern FORTRAN = Pattern.compile("'fortran_order':\\s*(True|False)");
    private static final Pattern SHAPE = Pattern.compile("'shape':\\s*\\(([^)]*)\\)");

    public final long[] shape;
    public final float[] data;

    private Npy(long[] shape, float[] data) {
        this.shape = shape;
        this.data = data;
    }

    /**
     * Why a file is not a .npy file of little-endian float32 in C order. The message names the source; {@link #detail}
     * does not. A readable .npy file of another type also says what it holds: {@link #dtype} (NumPy's name, e.g.
     * float64) and {@link #shape}; otherwise both are null.
     */
    public static final class Invalid extends BenchmarkException {
        private static final long serialVersionUID = 1L;
        public final String detail;
        public final String dtype;
        public final long[] shape;

        Invalid(String source, String detail, String dtype, long[] shape) {
            super(source + ": " + detail);
            this.detail = detail;
            this.dtype = dtype;
            this.shape = shape;
        }
    }

    public static Npy read(File file) throws Invalid {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (InputStream in = new FileInputStream(file)) { // android.jar 23: no java.nio.file
            byte[] buffer = new byte[1 << 16];
            for (int n; (n = in.read(buffer)) > 0; ) {
                bytes.write(buffer, 0, n);
            }
        } catch (IOException e) {
            throw new Invalid(file.getPath(), "cannot read it (" + e.getClass().getSimpleName() + ")", null, null);
        }
        return parse(bytes.toByteArray(), file.getPath());
    }

    static Npy parse(byte[] bytes, String source) throws Invalid {
        if (bytes.length < 10 || !java.util.Arrays.equals(java.util.Arrays.copyOf(bytes, 6), MAGIC) || bytes[6] != 1) {
            throw new Invalid(source, "not a version 1 .npy file", null, null);
        }
        ByteBuffer buffer = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        int headerLength = buffer.getShort(8) & 0xFFFF;
        if (10 + headerLength > bytes.length) {
            throw new Invalid(source, "truncated .npy header", null, null);
        }
        String header = new String(bytes, 10, headerLength, StandardCharsets.US_ASCII);
        Matcher descr = DESCR.matcher(header);
        Matcher fortran = FORTRAN.matcher(header);
        Matcher shapeText = SHAPE.matcher(header);
        String notFloat32 = "not little-endian float32 in C order (" + header.trim() + ")";
        if (!descr.find() || !fortran.find() || !shapeText.find()) {
            throw new Invalid(source, notFloat32, null, null);
        }
        long[] shape;
        try {
            shape = shape(shapeText.group(1));
        } catch (NumberFormatException e) {
            throw new Invalid(source, notFloat32, null, null);
        }
        if (!"<f4".equals(descr.group(1))) { // a .npy file of another type: say what it holds
            throw new Invalid(source, notFloat32, dtypeName(descr.group(1)), shape);
        }
        if (!"False".equals(fortran.group(1))) {
            throw new Invalid(source, notFloat32, null, null);
        }
        long count = 1;
        for (long dim : shape) {
            count *= dim;
        }
        int offset = 10 + headerLength;
        if ((long) bytes.length - offset != 4 * count) {
            throw new Invalid(source, "holds " + (bytes.length - offset) + " bytes of data, its shape needs "
                    + 4 * count, null, null);
        }
        float[] data = new float[(int) count];
        buffer.position(offset);
        buffer.asFloatBuffer().get(data);
        return new Npy(shape, data);
    }

    private static long[] shape(String dims) {
        String[] parts = dims.split(",");
        long[] shape = new long[parts.length];
        int rank = 0;
        for (String dim : parts) {
            if (!dim.trim().isEmpty()) {
                shape[rank++] = Long.parseLong(dim.trim());
            }
        }
        return java.util.Arrays.copyOf(shape, rank);
    }

    /** NumPy's name of a descr: {@code <f8} float64, {@code |u1} uint8, {@code |b1} bool; others as written. */
    static String dtypeName(String descr) {
        Matcher m = Pattern.compile("([<|=]?)([fiucb])(\\d+)").matcher(descr);
        if (!m.matches()) {
            return descr;
        }
        int bits = 8 * Integer.parseInt(m.group(3));
        switch (m.group(2)) {
            case "f":
                return "float" + bits;
            case "i":
                return "int" + bits;
            case "u":
                return "uint" + bits;
            case "c":
                return "complex" + bits;
            default:
                return bits == 8 ? "bool" : descr;
        }
    }
}
