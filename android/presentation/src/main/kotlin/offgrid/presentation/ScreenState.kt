// What every screen's state holder exposes: the screen model from the core (null until first
// loaded), whether a query or command is running, and the last error in a form the shells
// localise.
package offgrid.presentation

import uniffi.offgrid_ffi.FieldError
import uniffi.offgrid_ffi.OffgridException

/** The kinds of failure a screen shows differently; the shells map each to a zh-CN/en string. */
enum class ErrorKind {
    /** The record is gone (or never reached this device). */
    NOT_FOUND,
    /** The signed-in user may not do that (the policy refused it). */
    FORBIDDEN,
    /** Not allowed in the record's current state (someone else moved it on). */
    INVALID_STATE,
    /** Something required is missing (submit with unanswered items). */
    INCOMPLETE,
    /** The input was refused (an empty note, a bad answer, a photo it cannot read). */
    INVALID_INPUT,
    /** No user signed in on this device. */
    NO_USER,
    /** The server could not be reached or refused. */
    NETWORK,
    /** The database is closed, damaged or full; nothing was written. */
    STORAGE,
    INTERNAL,
}

/**
 * An error for the screen: its [kind] picks the localised text; [detail] is the core's words;
 * [fields] are a refused draft's field errors, for the form to mark beside each field.
 */
data class UiError(val kind: ErrorKind, val detail: String, val fields: List<FieldError> = emptyList())

/** One place that sorts the library's typed errors into [ErrorKind]s. */
fun Throwable.toUiError(): UiError = UiError(
    when (this) {
        is OffgridException.NotFound -> ErrorKind.NOT_FOUND
        is OffgridException.Forbidden, is OffgridException.RuleViolation -> ErrorKind.FORBIDDEN
        is OffgridException.InvalidState -> ErrorKind.INVALID_STATE
        is OffgridException.Incomplete -> ErrorKind.INCOMPLETE
        is OffgridException.InvalidArgument, is OffgridException.InvalidAnswer,
        is OffgridException.InvalidFields,
        is OffgridException.UnknownItem, is OffgridException.CheckpointMismatch,
        is OffgridException.UnsupportedImage, is OffgridException.ImageDecode,
        is OffgridException.ImageTooLarge, is OffgridException.PhotoNotHeld -> ErrorKind.INVALID_INPUT
        is OffgridException.NoCurrentUser -> ErrorKind.NO_USER
        is OffgridException.Network, is OffgridException.ServerRefused,
        is OffgridException.Unauthorized, is OffgridException.NotSignedIn,
        is OffgridException.TokenRevoked -> ErrorKind.NETWORK
        is OffgridException.Closed, is OffgridException.Storage, is OffgridException.Corrupt,
        is OffgridException.NotADatabase, is OffgridException.RecordUnreadable,
        is OffgridException.KeyRequired, is OffgridException.WrongKey -> ErrorKind.STORAGE
        else -> ErrorKind.INTERNAL
    },
    message ?: javaClass.simpleName,
    (this as? OffgridException.InvalidFields)?.fields.orEmpty(),
)

/** The state of one screen. */
data class ScreenState<out T>(
    val screen: T? = null,
    val busy: Boolean = true,
    val error: UiError? = null,
)
