package org.cloformer.bench;

import android.os.Build;
import android.os.Debug;
import org.cloformer.bench.core.Platform;
import org.json.JSONException;
import org.json.JSONObject;

/** The phone a result was measured on, and its memory figures. */
final class AndroidPlatform implements Platform {
    private final String serial;

    AndroidPlatform(String serial) {
        this.serial = serial;
    }

    @Override
    public JSONObject device() {
        try {
            return new JSONObject().put("kind", "android").put("model", Build.MODEL)
                    .put("os", "Android " + Build.VERSION.RELEASE + " (API " + Build.VERSION.SDK_INT + ")")
                    .put("soc", soc()).put("cores", Runtime.getRuntime().availableProcessors())
                    .put("serial", serial == null ? JSONObject.NULL : serial);
        } catch (JSONException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Build.SOC_MANUFACTURER / SOC_MODEL exist from API 31; read reflectively so minSdk 26 builds keep them. */
    private static String soc() {
        try {
            String maker = (String) Build.class.getField("SOC_MANUFACTURER").get(null);
            String model = (String) Build.class.getField("SOC_MODEL").get(null);
            return maker + " " + model;
        } catch (ReflectiveOperationException e) {
            return Build.HARDWARE;
        }
    }

    @Override
    public String toolVersion() {
        return BuildConfig.VERSION_NAME;
    }

    @Override
    public Double pssMb() {
        return Debug.getPss() / 1024.0;
    }
}
