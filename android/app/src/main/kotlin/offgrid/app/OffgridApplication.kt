// Keeps the process's one gateway (the encrypted store opens on first use, off the main thread) and
// schedules the periodic sync job.
package offgrid.app

import android.app.Application
import android.os.Looper
import java.util.TimeZone
import offgrid.presentation.MainThreadCheck
import offgrid.presentation.OffgridGateway

class OffgridApplication : Application() {
    val gateway: OffgridGateway by lazy {
        val dir = filesDir.resolve("offgrid").apply { mkdirs() }
        val offsetMinutes = TimeZone.getDefault().getOffset(System.currentTimeMillis()) / 60_000
        // Encrypted with the key kept wrapped by the Android Keystore (ADR 0012); a store
        // from before encryption is encrypted in place at the first open.
        OffgridGateway.openEncrypted(
            dir.resolve("offgrid.db").path,
            offsetMinutes,
            MainThreadCheck { Looper.getMainLooper().isCurrentThread },
        ) { rekey -> StoreKeys(this).storeKey(rekey) }
    }

    override fun onCreate() {
        super.onCreate()
        PlatformTls.init(this)
        SyncWorker.schedule(this)
    }
}
