package offgrid.app.screens

import androidx.compose.foundation.layout.Row
import androidx.compose.foundation.lazy.LazyColumn
import androidx.compose.foundation.lazy.items
import androidx.compose.material3.Button
import androidx.compose.material3.FilterChip
import androidx.compose.material3.ListItem
import androidx.compose.material3.Text
import androidx.compose.runtime.Composable
import androidx.compose.runtime.getValue
import androidx.compose.ui.res.stringResource
import androidx.lifecycle.compose.collectAsStateWithLifecycle
import offgrid.app.R
import offgrid.presentation.ChecklistStateHolder
import uniffi.offgrid_ffi.InspectionAction
import uniffi.offgrid_ffi.ItemKind

/** The checklist runner: sections, visible items, what is missing; submit, review, and the way to review and sign-off. */
@Composable
fun ChecklistScreen(holder: ChecklistStateHolder, openReview: () -> Unit) {
    val state by holder.state.collectAsStateWithLifecycle()
    ScreenFrame(state, holder::errorShown) { screen ->
        val canAnswer = InspectionAction.ANSWER in screen.allowedActions
        LazyColumn {
            item { ListItem(headlineContent = { Text(screen.title) }, supportingContent = { Text("${screen.progress.answered}/${screen.progress.required}") }) }
            screen.sections.forEach { section ->
                item(key = section.id) { ListItem(headlineContent = { Text(localized(section.title)) }) }
                items(section.items, key = { it.id }) { item ->
                    ListItem(
                        headlineContent = { Text(localized(item.text)) },
                        supportingContent = { item.clauseText?.let { Text(localized(it)) } },
                        trailingContent = {
                            if (item.kind is ItemKind.PassFail && canAnswer) {
                                Row {
                                    FilterChip(item.value?.toString() == "\"pass\"", { holder.answer(item.id, "\"pass\"") }, { Text(stringResource(R.string.pass)) })
                                    FilterChip(item.failed, { holder.answer(item.id, "\"fail\"") }, { Text(stringResource(R.string.fail)) })
                                }
                            }
                        },
                    )
                }
            }
            item {
                Button(onClick = openReview) { Text(stringResource(R.string.review)) }
                if (InspectionAction.SUBMIT in screen.allowedActions) {
                    Button(onClick = { holder.submit() }) { Text(stringResource(R.string.submit)) }
                }
                if (InspectionAction.REVIEW in screen.allowedActions) {
                    Button(onClick = { holder.review(true, null) }) { Text(stringResource(R.string.accept)) }
                }
            }
        }
    }
}
