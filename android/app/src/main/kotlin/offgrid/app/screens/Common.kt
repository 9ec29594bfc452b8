// Pieces every screen shares: the state's busy/error frame and localised labels of the core's
// enums (the strings are in res/values (zh-CN, the default) and res/values-en).
package offgrid.app.screens

import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.fillMaxSize
import androidx.compose.material3.AlertDialog
import androidx.compose.material3.LinearProgressIndicator
import androidx.compose.material3.Text
import androidx.compose.material3.TextButton
import androidx.compose.runtime.Composable
import androidx.compose.ui.Modifier
import androidx.compose.ui.res.stringResource
import offgrid.app.R
import offgrid.presentation.ErrorKind
import offgrid.presentation.ScreenState
import uniffi.offgrid_ffi.HazardAction
import uniffi.offgrid_ffi.PatrolAction
import uniffi.offgrid_ffi.TaskState

/** Shows progress while busy, the error as a dialog, and [content] once a screen is loaded. */
@Composable
fun <T> ScreenFrame(state: ScreenState<T>, errorShown: () -> Unit, content: @Composable (T) -> Unit) {
    Column(Modifier.fillMaxSize()) {
        if (state.busy) LinearProgressIndicator()
        state.screen?.let { content(it) }
    }
    state.error?.let { error ->
        AlertDialog(
            onDismissRequest = errorShown,
            confirmButton = { TextButton(onClick = errorShown) { Text(stringResource(R.string.ok)) } },
            title = { Text(stringResource(errorTitle(error.kind))) },
            text = { Text(error.detail) },
        )
    }
}

fun errorTitle(kind: ErrorKind): Int = when (kind) {
    ErrorKind.NOT_FOUND -> R.string.error_not_found
    ErrorKind.FORBIDDEN -> R.string.error_forbidden
    ErrorKind.INVALID_STATE -> R.string.error_invalid_state
    ErrorKind.INCOMPLETE -> R.string.error_incomplete
    ErrorKind.INVALID_INPUT -> R.string.error_invalid_input
    ErrorKind.NO_USER -> R.string.error_no_user
    ErrorKind.NETWORK -> R.string.error_network
    ErrorKind.STORAGE -> R.string.error_storage
    ErrorKind.INTERNAL -> R.string.error_internal
}

fun taskStateLabel(state: TaskState): Int = when (state) {
    TaskState.UPCOMING -> R.string.task_upcoming
    TaskState.DUE -> R.string.task_due
    TaskState.IN_PROGRESS -> R.string.task_in_progress
    TaskState.DONE -> R.string.task_done
    TaskState.LATE -> R.string.task_late
    TaskState.PARTIAL -> R.string.task_partial
    TaskState.MISSED -> R.string.task_missed
}

fun hazardActionLabel(action: HazardAction): Int = when (action) {
    HazardAction.GRADE -> R.string.hazard_grade
    HazardAction.ORDER_RECTIFICATION -> R.string.hazard_order
    HazardAction.SUBMIT_RECTIFICATION -> R.string.hazard_submit_rectification
    HazardAction.REINSPECT -> R.string.hazard_reinspect
    HazardAction.ESCALATE -> R.string.hazard_escalate
    HazardAction.CLOSE -> R.string.hazard_close
    HazardAction.WRITE_OFF -> R.string.hazard_write_off
}

fun patrolActionLabel(action: PatrolAction): Int = when (action) {
    PatrolAction.SCAN -> R.string.patrol_scan
    PatrolAction.SKIP -> R.string.patrol_skip
    PatrolAction.OBSERVE -> R.string.patrol_observe
    PatrolAction.ANSWER -> R.string.patrol_answer
    PatrolAction.PAUSE -> R.string.patrol_pause
    PatrolAction.RESUME -> R.string.patrol_resume
    PatrolAction.FINISH -> R.string.patrol_finish
    PatrolAction.VOID -> R.string.patrol_void
    PatrolAction.APPROVE_SKIP -> R.string.patrol_approve_skip
}

/** A template's bilingual text in the device's language (Chinese unless the device is English). */
fun localized(text: uniffi.offgrid_ffi.LocalizedText): String =
    if (java.util.Locale.getDefault().language == "en") text.en else text.zh
