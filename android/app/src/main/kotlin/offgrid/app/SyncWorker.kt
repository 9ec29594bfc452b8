// The background sync: a periodic job (every 30 min, network required, exponential backoff)
// and a one-off "sync now". The core decides whether a run is due and classifies failures.
package offgrid.app

import android.content.Context
import androidx.work.BackoffPolicy
import androidx.work.Constraints
import androidx.work.CoroutineWorker
import androidx.work.ExistingPeriodicWorkPolicy
import androidx.work.ExistingWorkPolicy
import androidx.work.NetworkType
import androidx.work.OneTimeWorkRequestBuilder
import androidx.work.PeriodicWorkRequestBuilder
import androidx.work.WorkManager
import androidx.work.WorkerParameters
import java.util.concurrent.TimeUnit
import offgrid.presentation.BackgroundSync

class SyncWorker(context: Context, params: WorkerParameters) : CoroutineWorker(context, params) {
    override suspend fun doWork(): Result {
        val gateway = (applicationContext as OffgridApplication).gateway
        val state = BackgroundSync.runIfDue(gateway)
        return if (BackgroundSync.shouldRetry(state)) Result.retry() else Result.success()
    }

    companion object {
        private val online = Constraints.Builder().setRequiredNetworkType(NetworkType.CONNECTED).build()

        fun schedule(context: Context) {
            val request = PeriodicWorkRequestBuilder<SyncWorker>(30, TimeUnit.MINUTES)
                .setConstraints(online)
                .setBackoffCriteria(BackoffPolicy.EXPONENTIAL, 30, TimeUnit.SECONDS)
                .build()
            WorkManager.getInstance(context)
                .enqueueUniquePeriodicWork("offgrid-sync", ExistingPeriodicWorkPolicy.KEEP, request)
        }

        /** "Sync now" from the sync screen, when the network allows. */
        fun now(context: Context) {
            val request = OneTimeWorkRequestBuilder<SyncWorker>().setConstraints(online).build()
            WorkManager.getInstance(context).enqueueUniqueWork("offgrid-sync-now", ExistingWorkPolicy.REPLACE, request)
        }
    }
}
