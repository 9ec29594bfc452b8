// The one way the shells reach the Offgrid library: every call runs on the IO dispatcher (the
// library's calls are blocking: SQLite, photo decoding, HTTP), never on the main thread; change
// notifications and sync states arrive as Flows.
package offgrid.presentation

import kotlinx.coroutines.CoroutineDispatcher
import kotlinx.coroutines.CoroutineExceptionHandler
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
import uniffi.offgrid_ffi.ChangeEvent
import uniffi.offgrid_ffi.SyncState
import uniffi.offgrid_ffi.ChangeListener
import uniffi.offgrid_ffi.OffgridStore
import uniffi.offgrid_ffi.OffgridStoreInterface
import uniffi.offgrid_ffi.SyncStateListener
import uniffi.offgrid_ffi.rekeyStore

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
    /** Whether [close] closes the database too (it does when this gateway opened it). */
    private val ownsStore: Boolean = true,
) : AutoCloseable {
    /** Over a store already open (its owner closes it). */
    constructor(
        store: OffgridStoreInterface,
        io: CoroutineDispatcher = Dispatchers.IO,
        mainThread: MainThreadCheck = MainThreadCheck { false },
    ) : this({ store }, io, mainThread, ownsStore = false)

    /** Opened on first use, on the IO dispatcher (opening reads and may migrate the file). */
    private val opened = lazy(open)
    private val store: OffgridStoreInterface by opened
    // A store that cannot open (a wrong key, a damaged file) fails the eager change
    // subscription too; that failure is not a crash: every screen gets it, typed, from [call].
    private val scope = CoroutineScope(SupervisorJob() + io + CoroutineExceptionHandler { _, _ -> })

    companion object {
        /** A gateway over the database at [path], opened on first use. */
        fun open(path: String, utcOffsetMinutes: Int, mainThread: MainThreadCheck): OffgridGateway =
            OffgridGateway({ OffgridStore(path, utcOffsetMinutes) }, mainThread = mainThread)

        /**
         * A gateway over the encrypted database at [path] (ADR 0012), opened on first use with
         * the key [key] returns. [key] runs then, off the main thread, and is given the
         * library's key change (`rekeyStore` on [path]) to finish one a crash interrupted. A
         * plain database is encrypted in place at that open. The key bytes are wiped after.
         */
        fun openEncrypted(
            path: String,
            utcOffsetMinutes: Int,
            mainThread: MainThreadCheck,
            key: (rekey: (old: ByteArray, new: ByteArray) -> Unit) -> ByteArray,
        ): OffgridGateway = OffgridGateway(
            {
                val bytes = key { old, new -> rekey(path, old, new) }
                try {
                    OffgridStore.openEncrypted(path, utcOffsetMinutes, bytes)
                } finally {
                    bytes.fill(0)
                }
            },
            mainThread = mainThread,
        )

        /**
         * Changes the key of the closed encrypted database at [path] from [old] to [new], in place
         * and crash-safe; asked again after a crash, it finishes (or sees it had).
         */
        fun rekey(path: String, old: ByteArray, new: ByteArray) = rekeyStore(path, old, new)
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

    /**
     * Stops the flows and, for a store this gateway opened, closes the database file now (a key
     * change, [rekey], needs it closed).
     */
    override fun close() {
        scope.cancel()
        if (ownsStore && opened.isInitialized()) store.closeDatabase()
    }
}
