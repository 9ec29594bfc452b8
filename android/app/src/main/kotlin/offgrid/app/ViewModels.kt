// One ViewModel per screen, each only holding its presentation state holder (so the holder
// lives across configuration changes and runs on viewModelScope, i.e. the main thread).
package offgrid.app

import androidx.lifecycle.ViewModel
import androidx.lifecycle.viewModelScope

/** Holds a state holder made on the ViewModel's scope; closes it with the ViewModel. */
class HolderViewModel<H : AutoCloseable>(make: (kotlinx.coroutines.CoroutineScope) -> H) : ViewModel() {
    val holder: H = make(viewModelScope)

    override fun onCleared() {
        holder.close()
    }
}
