// The base of every screen's state holder (Android: held by a ViewModel; iOS mirrors it as an
// observable model): loads its screen model from the core through the gateway, reloads when a
// change event concerns it, and runs the user's commands, each of which returns the refreshed
// model. Loads and commands run one at a time, so an older answer never overwrites a newer one.
package offgrid.presentation

import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.Job
import kotlinx.coroutines.cancel
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.asStateFlow
import kotlinx.coroutines.flow.conflate
import kotlinx.coroutines.flow.filter
import kotlinx.coroutines.flow.onSubscription
import kotlinx.coroutines.flow.update
import kotlinx.coroutines.launch
import kotlinx.coroutines.sync.Mutex
import kotlinx.coroutines.sync.withLock
import uniffi.offgrid_ffi.ChangeEvent
import uniffi.offgrid_ffi.OffgridStoreInterface

open class ScreenStateHolder<T : Any>(
    protected val gateway: OffgridGateway,
    protected val scope: CoroutineScope,
    private val query: (OffgridStoreInterface) -> T,
    private val concerns: (ChangeEvent) -> Boolean,
) : AutoCloseable {
    private val mutableState = MutableStateFlow(ScreenState<T>())
    private val turn = Mutex()

    /** The screen: collect it (Compose: `collectAsStateWithLifecycle()`). */
    val state: StateFlow<ScreenState<T>> = mutableState.asStateFlow()

    // Subscribed before the first query, so a change committed in between is not missed.
    private val watcher: Job = scope.launch {
        gateway.changes
            .onSubscription { refreshNow() }
            .filter(concerns)
            .conflate()
            .collect { refreshNow() }
    }

    /** Queries the screen again (pull to refresh). */
    fun refresh(): Job = scope.launch { refreshNow() }

    private suspend fun refreshNow() = run(query, isCommand = false)

    /**
     * Runs a command: [block] makes the library calls and returns the refreshed screen. A refusal
     * keeps the screen as it was and sets [ScreenState.error]; a success clears it.
     */
    protected fun command(block: (OffgridStoreInterface) -> T): Job =
        scope.launch { run(block, isCommand = true) }

    private suspend fun run(block: (OffgridStoreInterface) -> T, isCommand: Boolean) = turn.withLock {
        mutableState.update { it.copy(busy = true) }
        try {
            val screen = gateway.call(block)
            // A refresh (after a change event) keeps an error the user has not seen yet.
            mutableState.update { ScreenState(screen, busy = false, error = if (isCommand) null else it.error) }
        } catch (e: kotlinx.coroutines.CancellationException) {
            throw e
        } catch (e: Exception) {
            mutableState.update { it.copy(busy = false, error = e.toUiError()) }
        }
    }

    /** Clears the error once the shell has shown it. */
    fun errorShown() = mutableState.update { it.copy(error = null) }

    override fun close() {
        watcher.cancel()
    }
}
