package offgrid.app.screens

import androidx.compose.foundation.lazy.LazyColumn
import androidx.compose.foundation.lazy.items
import androidx.compose.material3.ListItem
import androidx.compose.material3.Text
import androidx.compose.runtime.Composable
import androidx.compose.runtime.getValue
import androidx.compose.ui.res.stringResource
import androidx.lifecycle.compose.collectAsStateWithLifecycle
import offgrid.app.R
import offgrid.presentation.CoverageStateHolder

/** Coverage of my grid cells this month: done, missed, awaiting sync, open hazards. */
@Composable
fun CoverageScreen(holder: CoverageStateHolder) {
    val state by holder.state.collectAsStateWithLifecycle()
    ScreenFrame(state, holder::errorShown) { cells ->
        LazyColumn {
            items(cells, key = { it.cell }) { c ->
                ListItem(
                    headlineContent = { Text(c.name) },
                    supportingContent = { Text(stringResource(R.string.coverage_line, c.total.tasks.done.toInt(), c.total.tasks.due.toInt(), c.total.tasks.missed.toInt())) },
                )
            }
        }
    }
}
