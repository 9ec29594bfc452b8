package offgrid.app.screens

import androidx.compose.foundation.clickable
import androidx.compose.foundation.lazy.LazyColumn
import androidx.compose.foundation.lazy.items
import androidx.compose.material3.ListItem
import androidx.compose.material3.Text
import androidx.compose.runtime.Composable
import androidx.compose.runtime.getValue
import androidx.compose.ui.Modifier
import androidx.compose.ui.res.stringResource
import androidx.lifecycle.compose.collectAsStateWithLifecycle
import offgrid.app.R
import offgrid.presentation.HomeStateHolder

/** Today's patrol tasks, my hazards, overdue hazards, open inspections, the sync line. */
@Composable
fun HomeScreen(holder: HomeStateHolder, navigate: (String) -> Unit) {
    val state by holder.state.collectAsStateWithLifecycle()
    ScreenFrame(state, holder::errorShown) { home ->
        LazyColumn {
            item { ListItem(headlineContent = { Text(stringResource(R.string.home_tasks)) }) }
            items(home.tasks, key = { it.id }) { task ->
                ListItem(headlineContent = { Text(task.planTitle) }, supportingContent = { Text(stringResource(taskStateLabel(task.state))) })
            }
            item { ListItem(headlineContent = { Text(stringResource(R.string.home_my_hazards)) }) }
            items(home.myHazards, key = { it.id }) { h ->
                ListItem(
                    headlineContent = { Text(h.title.orEmpty()) },
                    supportingContent = { Text(h.site.orEmpty()) },
                    modifier = Modifier.clickable { navigate("hazard/${h.id}") },
                )
            }
            item { ListItem(headlineContent = { Text(stringResource(R.string.home_overdue)) }) }
            items(home.overdueHazards, key = { "overdue-" + it.id }) { h ->
                ListItem(headlineContent = { Text(h.title.orEmpty()) }, modifier = Modifier.clickable { navigate("hazard/${h.id}") })
            }
            item { ListItem(headlineContent = { Text(stringResource(R.string.home_open_inspections)) }) }
            items(home.openInspections, key = { it.id }) { i ->
                ListItem(headlineContent = { Text(i.title.orEmpty()) }, modifier = Modifier.clickable { navigate("checklist/${i.id}") })
            }
            item {
                ListItem(headlineContent = { Text(stringResource(R.string.home_hazard_list)) }, modifier = Modifier.clickable { navigate("list/HAZARDS") })
                ListItem(headlineContent = { Text(stringResource(R.string.home_coverage)) }, modifier = Modifier.clickable { navigate("coverage") })
            }
            item {
                ListItem(
                    headlineContent = { Text(stringResource(R.string.sync_pending, home.sync.pendingRecords.toLong(), home.sync.pendingPhotos.toLong())) },
                    modifier = Modifier.clickable { navigate("sync") },
                )
            }
        }
    }
}
