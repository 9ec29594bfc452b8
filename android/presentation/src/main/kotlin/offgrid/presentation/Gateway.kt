// The one way the shells reach the Offgrid library: every call runs on the IO dispatcher (the
// library's calls are blocking: SQLite, photo decoding, HTTP), never on the main thread; change
// notifications and sync states arrive as Flows.
package offgrid.presentation

import kotlinx.coroutines.CoroutineDispatcher
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.SupervisorJob
import kotlinx.coroutines.cancel
import kotlinx.coroutines.channels.awaitClose
import kotlinx.coroutines.flow.Flow
import kotlinx.coroutines.flow.SharedFlow
import kotlinx.coroutines.flow.SharingStarted
import kotlinx.coroutines.flow.callbackFlow
import kotlinx.coroutines.flow.flowOn
import kotlinx.coroutines.flow.shareIn
import kotlinx.coroutines.withContext
import uniffi.offgrid_core.ChangeEvent
import uniffi.offgrid_core.SyncState
import uniffi.offgrid_ffi.ChangeListener
import uniffi.offgrid_ffi.OffgridStore
import uniffi.offgrid_ffi.OffgridStoreInterface
import uniffi.offgrid_ffi.SyncStateListener

/** Whether the calling thread is the UI thread (Android: `Looper.getMainLooper().isCurrentThread`). */
fun interface MainThreadCheck {
    fun isMainThread(): Boolean
}

/**
 * Wraps the store. [call] runs a block of library calls on [io]; [changes] is one shared Flow of
 * the store's coalesced change events; [syncStates] the sync service's states.
 */
class OffgridGateway(
    open: () -> OffgridStoreInterface,
    private val io: CoroutineDispatcher = Dispatchers.IO,
    private val mainThread: MainThreadCheck = MainThreadCheck { false },
) : AutoCloseable {
    /** Over a store already open. */
    constructor(
        store: OffgridStoreInterface,
        io: CoroutineDispatcher = Dispatchers.IO,
        mainThread: MainThreadCheck = MainThreadCheck { false },
    ) : this({ store }, io, mainThread)

    /** Opened on first use, on the IO dispatcher (opening reads and may migrate the file). */
    private val store: OffgridStoreInterface by lazy(open)
    private val scope = CoroutineScope(SupervisorJob() + io)

    companion object {
        /** A gateway over the database at [path], opened on first use. */
        fun open(path: String, utcOffsetMinutes: Int, mainThread: MainThreadCheck): OffgridGateway =
            OffgridGateway({ OffgridStore(path, utcOffsetMinutes) }, mainThread = mainThread)
    }

    /** Runs [block] against the store on the IO dispatcher. */
    suspend fun <T> call(block: (OffgridStoreInterface) -> T): T = withContext(io) {
        check(!mainThread.isMainThread()) { "the Offgrid library was called on the main thread" }
        block(store)
    }

    /**
     * Every change event of the store (one subscription for all, made at once so no event is
     * lost between a screen's first query and its collecting).
     */
    val changes: SharedFlow<ChangeEvent> = callbackFlow {
        val subscription = store.subscribe(object : ChangeListener {
            override fun onChange(event: ChangeEvent) {
                trySend(event)
            }
        })
        awaitClose {
            subscription.cancel()
            subscription.close()
        }
    }.shareIn(scope, SharingStarted.Eagerly, replay = 0)

    /** The sync service's states: the current one, then every change. */
    val syncStates: Flow<SyncState> = callbackFlow {
        val service = store.sync().service()
        // Observe first, then read: a state set in between is not lost.
        val id = service.observe(object : SyncStateListener {
            override fun onState(state: SyncState) {
                trySend(state)
            }
        })
        trySend(service.state())
        awaitClose {
            service.unobserve(id)
            service.close()
        }
    }.flowOn(io)

    override fun close() {
        scope.cancel()
    }
}
