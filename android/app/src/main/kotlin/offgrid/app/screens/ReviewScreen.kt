package offgrid.app.screens

import androidx.compose.foundation.lazy.LazyColumn
import androidx.compose.foundation.lazy.items
import androidx.compose.material3.Button
import androidx.compose.material3.ListItem
import androidx.compose.material3.OutlinedTextField
import androidx.compose.material3.Text
import androidx.compose.runtime.Composable
import androidx.compose.runtime.getValue
import androidx.compose.runtime.mutableStateOf
import androidx.compose.runtime.remember
import androidx.compose.runtime.setValue
import androidx.compose.ui.res.stringResource
import androidx.lifecycle.compose.collectAsStateWithLifecycle
import offgrid.app.R
import offgrid.presentation.ReviewStateHolder
import uniffi.offgrid_ffi.ReviewAction

/**
 * Review and sign-off: the failed items with their clause, the signatures, and sign / submit /
 * accept / return as the core allows. [onSign] opens a signature pad that writes the image to a
 * capture path and calls `holder.sign`; no pad is built yet, so the app passes none and signing
 * is not offered on Android.
 */
@Composable
fun ReviewScreen(holder: ReviewStateHolder, onSign: (() -> Unit)? = null) {
    val state by holder.state.collectAsStateWithLifecycle()
    var note by remember { mutableStateOf("") }
    ScreenFrame(state, holder::errorShown) { screen ->
        LazyColumn {
            item { ListItem(headlineContent = { Text(screen.title) }, supportingContent = { Text(stringResource(R.string.findings)) }) }
            items(screen.findings, key = { it.item }) { f ->
                ListItem(
                    headlineContent = { Text(localized(f.text)) },
                    supportingContent = {
                        Text(listOfNotNull(f.valueText?.let { localized(it) }, f.clauseText?.let { localized(it) }, f.note).joinToString(" · "))
                    },
                )
            }
            item { ListItem(headlineContent = { Text(stringResource(R.string.signatures)) }) }
            items(screen.signatures, key = { it.item ?: "" }) { slot ->
                ListItem(
                    headlineContent = { Text(slot.text?.let { localized(it) } ?: stringResource(R.string.signatures)) },
                    supportingContent = { Text(slot.signatures.joinToString(" · ") { it.name }) },
                )
            }
            item {
                if (ReviewAction.SIGN in screen.allowedActions && onSign != null) Button(onClick = onSign) { Text(stringResource(R.string.sign)) }
                if (ReviewAction.SUBMIT in screen.allowedActions) Button(onClick = { holder.submit() }) { Text(stringResource(R.string.submit)) }
                if (ReviewAction.RETURN in screen.allowedActions) {
                    OutlinedTextField(value = note, onValueChange = { note = it }, label = { Text(stringResource(R.string.note)) })
                    Button(onClick = { holder.returnToInspector(note) }) { Text(stringResource(R.string.return_to_inspector)) }
                }
                if (ReviewAction.ACCEPT in screen.allowedActions) {
                    Button(onClick = { holder.accept(note.ifBlank { null }) }) { Text(stringResource(R.string.accept)) }
                }
            }
        }
    }
}
