package offgrid.app.screens

import androidx.compose.foundation.clickable
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.lazy.LazyColumn
import androidx.compose.foundation.lazy.items
import androidx.compose.material3.ListItem
import androidx.compose.material3.OutlinedTextField
import androidx.compose.material3.Text
import androidx.compose.material3.TextButton
import androidx.compose.runtime.Composable
import androidx.compose.runtime.getValue
import androidx.compose.runtime.mutableStateOf
import androidx.compose.runtime.remember
import androidx.compose.runtime.setValue
import androidx.compose.ui.Modifier
import androidx.compose.ui.res.stringResource
import androidx.lifecycle.compose.collectAsStateWithLifecycle
import offgrid.app.R
import offgrid.presentation.ListKind
import offgrid.presentation.RecordListStateHolder

/** Inspections or hazards with a search box; the filters are the holder's. */
@Composable
fun RecordListScreen(holder: RecordListStateHolder, kind: ListKind, navigate: (String) -> Unit) {
    val state by holder.state.collectAsStateWithLifecycle()
    var text by remember { mutableStateOf(holder.currentFilter.text.orEmpty()) }
    Column {
        OutlinedTextField(
            value = text,
            onValueChange = { text = it; holder.filter(holder.currentFilter.copy(text = it)) },
            label = { Text(stringResource(R.string.search)) },
        )
        ScreenFrame(state, holder::errorShown) { list ->
            LazyColumn {
                items(list.rows, key = { it.record.id }) { row ->
                    val r = row.record
                    ListItem(
                        headlineContent = { Text(r.title.orEmpty()) },
                        supportingContent = {
                            val overdue = row.overdueDays?.let { stringResource(R.string.overdue_days, it.toInt()) }
                            Text(listOfNotNull(r.site, r.status, r.grade, overdue).joinToString(" · "))
                        },
                        modifier = Modifier.clickable {
                            navigate(if (kind == ListKind.HAZARDS) "hazard/${r.id}" else "checklist/${r.id}")
                        },
                    )
                }
                if (list.hasMore) item { TextButton(onClick = { holder.nextPage() }) { Text(stringResource(R.string.more)) } }
            }
        }
    }
}
