package offgrid.app.screens

import androidx.compose.foundation.lazy.LazyColumn
import androidx.compose.foundation.lazy.items
import androidx.compose.material3.Button
import androidx.compose.material3.ListItem
import androidx.compose.material3.Text
import androidx.compose.runtime.Composable
import androidx.compose.runtime.getValue
import androidx.compose.ui.res.stringResource
import androidx.lifecycle.compose.collectAsStateWithLifecycle
import offgrid.app.R
import offgrid.presentation.PatrolRunStateHolder
import uniffi.offgrid_ffi.PatrolAction

/** A patrol run: the next checkpoint (scan its NFC tag or QR code), what is done, the flags. */
@Composable
fun PatrolRunScreen(holder: PatrolRunStateHolder) {
    val state by holder.state.collectAsStateWithLifecycle()
    ScreenFrame(state, holder::errorShown) { screen ->
        LazyColumn {
            item {
                val next = screen.nextCheckpoint
                ListItem(
                    headlineContent = { Text(next?.name ?: stringResource(R.string.patrol_all_covered)) },
                    supportingContent = { Text(stringResource(R.string.patrol_progress, screen.scanned.size, screen.run.checkpoints.size)) },
                )
            }
            items(screen.skipped, key = { it.skip }) { s -> ListItem(headlineContent = { Text(s.checkpoint) }, supportingContent = { Text(s.reason) }) }
            items(screen.run.flags.entries.toList(), key = { it.key }) { (flag, n) -> ListItem(headlineContent = { Text("$flag × $n") }) }
            items(screen.allowedActions.filter { it == PatrolAction.FINISH }) { action ->
                Button(onClick = { holder.finish(null) }) { Text(stringResource(patrolActionLabel(action))) }
            }
        }
    }
}
