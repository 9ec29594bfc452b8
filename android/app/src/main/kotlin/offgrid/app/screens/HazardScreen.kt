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
import offgrid.presentation.HazardStateHolder
import offgrid.presentation.HazardSteps

/** A hazard: its state, timeline, photos, and one button per step the core allows this user. */
@Composable
fun HazardScreen(holder: HazardStateHolder) {
    val state by holder.state.collectAsStateWithLifecycle()
    ScreenFrame(state, holder::errorShown) { screen ->
        LazyColumn {
            item { ListItem(headlineContent = { Text(screen.hazard.title) }, supportingContent = { Text(screen.hazard.description) }) }
            items(screen.hazard.events, key = { it.id }) { e -> ListItem(headlineContent = { Text(e.byName) }, supportingContent = { Text(e.note.orEmpty()) }) }
            items(screen.allowedActions) { action ->
                // Steps that need input (grade, order, notes) open their form; the form builds the
                // command with HazardSteps and calls holder.perform.
                Button(onClick = { HazardSteps.simple(action)?.let(holder::perform) }) { Text(stringResource(hazardActionLabel(action))) }
            }
        }
    }
}
