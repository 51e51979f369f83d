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

    public static Npy read(File file) throws BenchmarkException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (InputStream in = new FileInputStream(file)) { // android.jar 23: no java.nio.file
            byte[] buffer = new byte[1 << 16];
            for (int n; (n = in.read(buffer)) > 0; ) {
                bytes.write(buffer, 0, n);
            }
        } catch (IOException e) {
            throw new BenchmarkException(file + ": cannot read it (" + e.getClass().getSimpleName() + ")");
        }
        return parse(bytes.toByteArray(), file.getPath());
    }

    static Npy parse(byte[] bytes, String source) throws BenchmarkException {
        if (bytes.length < 10 || !java.util.Arrays.equals(java.util.Arrays.copyOf(bytes, 6), MAGIC) || bytes[6] != 1) {
            throw new BenchmarkException(source + ": not a version 1 .npy file; re-export the artifact");
        }
        ByteBuffer buffer = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        int headerLength = buffer.getShort(8) & 0xFFFF;
        if (10 + headerLength > bytes.length) {
            throw new BenchmarkException(source + ": truncated .npy header");
        }
        String header = new String(bytes, 10, headerLength, StandardCharsets.US_ASCII);
        Matcher descr = DESCR.matcher(header);
        Matcher fortran = FORTRAN.matcher(header);
        Matcher shapeText = SHAPE.matcher(header);
        if (!descr.find() || !"<f4".equals(descr.group(1)) || !fortran.find() || !"False".equals(fortran.group(1))
                || !shapeText.find()) {
            throw new BenchmarkException(source + ": not little-endian float32 in C order (" + header.trim() + ")");
        }
        String[] dims = shapeText.group(1).split(",");
        int rank = 0;
        long[] shape = new long[dims.length];
        long count = 1;
        for (String dim : dims) {
            if (!dim.trim().isEmpty()) {
                shape[rank] = Long.parseLong(dim.trim());
                count *= shape[rank++];
            }
        }
        int offset = 10 + headerLength;
        if ((long) bytes.length - offset != 4 * count) {
            throw new BenchmarkException(source + ": holds " + (bytes.length - offset) + " bytes of data, its shape needs "
                    + 4 * count);
        }
        float[] data = new float[(int) count];
        buffer.position(offset);
        buffer.asFloatBuffer().get(data);
        return new Npy(java.util.Arrays.copyOf(shape, rank), data);
    }
}
