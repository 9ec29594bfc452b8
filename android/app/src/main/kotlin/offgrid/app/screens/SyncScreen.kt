package offgrid.app.screens

import androidx.compose.foundation.layout.Column
import androidx.compose.material3.Button
import androidx.compose.material3.LinearProgressIndicator
import androidx.compose.material3.Text
import androidx.compose.runtime.Composable
import androidx.compose.runtime.getValue
import androidx.compose.ui.res.stringResource
import androidx.lifecycle.compose.collectAsStateWithLifecycle
import offgrid.app.R
import offgrid.presentation.SyncStateHolder
import uniffi.offgrid_ffi.SyncState

/** The sync state in words, with "sync now" (a WorkManager job, so it survives leaving). */
@Composable
fun SyncScreen(holder: SyncStateHolder, syncNow: () -> Unit) {
    val state by holder.state.collectAsStateWithLifecycle()
    Column {
        when (val s = state) {
            null -> LinearProgressIndicator()
            is SyncState.Idle -> Text(stringResource(R.string.sync_pending, s.pendingRecords.toLong(), s.pendingPhotos.toLong()))
            is SyncState.Syncing -> { Text(stringResource(R.string.sync_running)); LinearProgressIndicator() }
            is SyncState.Offline -> Text(stringResource(R.string.sync_offline, s.message))
            is SyncState.NeedsLogin -> Text(stringResource(R.string.sync_needs_login))
            is SyncState.Error -> Text(stringResource(R.string.sync_error, s.message))
        }
        Button(onClick = syncNow) { Text(stringResource(R.string.sync_now)) }
    }
}
