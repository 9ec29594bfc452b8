// The sync status screen and the background job's entry points. Scheduling, backoff and error
// classification are the core's (its sync service); the shells only call `runIfDue` from their
// periodic job (WorkManager, BGAppRefreshTask), `syncNow` from the button, and show `state`.
package offgrid.presentation

import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.Job
import kotlinx.coroutines.cancel
import kotlinx.coroutines.flow.SharingStarted
import kotlinx.coroutines.flow.filterNotNull
import kotlinx.coroutines.flow.map
import kotlinx.coroutines.flow.merge
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.stateIn
import kotlinx.coroutines.launch
import uniffi.offgrid_ffi.SyncScreen
import uniffi.offgrid_ffi.SyncState

class SyncStateHolder(private val gateway: OffgridGateway, private val scope: CoroutineScope) :
    AutoCloseable {
    private val own = CoroutineScope(scope.coroutineContext + kotlinx.coroutines.SupervisorJob())

    /** The sync state (null until the first is read): idle, syncing with progress, offline… */
    val state: StateFlow<SyncState?> = gateway.syncStates.stateIn(own, SharingStarted.Eagerly, null)

    /**
     * The sync status screen (pending records and photos, last success, last error, refused
     * changes, whether "sync now" is offered), read again at each state and each change.
     */
    val screen: StateFlow<SyncScreen?> = merge(gateway.syncStates.map { }, gateway.changes.map { })
        .map { runCatching { gateway.call { store -> store.screens { s -> s.sync() } } }.getOrNull() }
        .filterNotNull()
        .stateIn(own, SharingStarted.Eagerly, null)

    /** "Sync now": runs at once (one at a time), whatever the backoff says. */
    fun syncNow(): Job = own.launch { runCatching { gateway.call { it.sync().service().use { s -> s.run() } } } }

    /** Cancels the sync running now. */
    fun cancel(): Job = own.launch { gateway.call { it.sync().service().use { s -> s.cancel() } } }

    override fun close() {
        own.cancel()
    }
}

/** What the periodic background job does: syncs if the core says a run is due now. */
object BackgroundSync {
    /** Returns the state the run ended in, or null when it was not due (backing off). */
    suspend fun runIfDue(gateway: OffgridGateway, nowMs: Long = System.currentTimeMillis()): SyncState? =
        gateway.call { store ->
            store.sync().service().use { s -> if (s.due(nowMs)) s.run() else null }
        }

    /** Whether the job should report a retry to the scheduler (WorkManager `Result.retry()`). */
    fun shouldRetry(state: SyncState?): Boolean =
        state is SyncState.Offline || state is SyncState.Error
}
