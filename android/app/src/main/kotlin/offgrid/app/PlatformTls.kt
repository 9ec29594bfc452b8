package offgrid.app

import android.content.Context

/**
 * The sync client verifies the server's certificate with Android's own trust manager (the
 * system store, and a CA the organisation installed and allows in network_security_config), via
 * rustls-platform-verifier, which reaches it through JNI and needs the app's context once, before
 * the first sync. [OffgridApplication] calls [init] from `onCreate`.
 */
object PlatformTls {
    init {
        System.loadLibrary("offgrid_ffi")
    }

    /** Hands the application context to the verifier (bindings/src/android.rs). */
    @JvmStatic
    external fun init(context: Context)
}
