// One state holder per screen of the apps. Each names its query, the change events that concern
// it, and its commands; every rule (what is shown, which buttons exist) is in the core's screen
// model. The Compose screens and the SwiftUI views render these and forward the actions.
package offgrid.presentation

import java.util.concurrent.atomic.AtomicReference
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.Job
import uniffi.offgrid_ffi.CaptureContext
import uniffi.offgrid_ffi.CellCoverage
import uniffi.offgrid_ffi.ChangeEvent
import uniffi.offgrid_ffi.CheckMethod
import uniffi.offgrid_ffi.ChecklistCommand
import uniffi.offgrid_ffi.ChecklistScreen
import uniffi.offgrid_ffi.HazardAction
import uniffi.offgrid_ffi.HazardCommand
import uniffi.offgrid_ffi.HazardScreen
import uniffi.offgrid_ffi.HomeScreen
import uniffi.offgrid_ffi.ReviewScreen
import uniffi.offgrid_ffi.ReviewCommand
import uniffi.offgrid_ffi.ListScreenKind
import uniffi.offgrid_ffi.ListScreen
import uniffi.offgrid_ffi.ListFilter
import uniffi.offgrid_ffi.FieldError
import uniffi.offgrid_ffi.Draft
import uniffi.offgrid_ffi.NewObservation
import uniffi.offgrid_ffi.PatrolCommand
import uniffi.offgrid_ffi.PatrolRunScreen
import uniffi.offgrid_ffi.PhotoTarget
import uniffi.offgrid_ffi.RecordKind
import uniffi.offgrid_ffi.ScanInput
import uniffi.offgrid_ffi.OffgridScreensInterface
import uniffi.offgrid_ffi.OffgridStoreInterface

/** Runs [block] on the store's screens object and releases it. */
internal fun <T> OffgridStoreInterface.screens(block: (OffgridScreensInterface) -> T): T =
    screens().use(block)

private fun ChangeEvent.touches(vararg kinds: RecordKind) = topics.any { it in kinds }

/** Home: today's patrol tasks, my hazards, overdue hazards, open inspections, sync. */
class HomeStateHolder(gateway: OffgridGateway, scope: CoroutineScope) :
    ScreenStateHolder<HomeScreen>(
        gateway, scope,
        query = { it.screens { s -> s.home() } },
        concerns = { it.topics.isNotEmpty() },
    )

/**
 * A list screen (inspections, hazards): a page of rows with the status chips' counts, computed
 * in the core under the core's [ListFilter]; re-queries when records of its kind change.
 */
class RecordListStateHolder private constructor(
    gateway: OffgridGateway,
    scope: CoroutineScope,
    val kind: ListKind,
    private val filter: AtomicReference<ListFilter>,
) : ScreenStateHolder<ListScreen>(
    gateway, scope,
    query = { store -> store.screens { s -> s.list(kind.screenKind, filter.get()) } },
    concerns = { it.touches(kind.recordKind) },
) {
    constructor(
        gateway: OffgridGateway,
        scope: CoroutineScope,
        kind: ListKind,
        filter: ListFilter = ListFilter(),
    ) : this(gateway, scope, kind, AtomicReference(filter))

    /** The filters applied now. */
    val currentFilter: ListFilter get() = filter.get()

    /** Applies new filters (from the first page); the list follows them from now on. */
    fun filter(new: ListFilter): Job {
        filter.set(new)
        return command { it.screens { s -> s.list(kind.screenKind, new) } }
    }

    /** The next page, if the screen says there is one. */
    fun nextPage(): Job = filter(filter.get().copy(page = filter.get().page + 1u))
}

/** Review and sign-off of one inspection: findings, signatures, sign / submit / accept / return. */
class ReviewStateHolder(gateway: OffgridGateway, scope: CoroutineScope, val id: String) :
    ScreenStateHolder<ReviewScreen>(
        gateway, scope,
        query = { it.screens { s -> s.review(id) } },
        concerns = { id in it.records },
    ) {
    /** Signs as the signed-in user with the pad's image written at [imagePath] (a capture path). */
    fun sign(name: String, imagePath: String, item: String? = null): Job =
        perform(ReviewCommand.Sign(item, name, imagePath))

    fun submit(): Job = perform(ReviewCommand.Submit)

    fun accept(note: String? = null): Job = perform(ReviewCommand.Accept(note))

    fun returnToInspector(note: String): Job = perform(ReviewCommand.Return(note))

    private fun perform(step: ReviewCommand): Job = command { it.screens { s -> s.reviewCommand(id, step) } }
}

/** Field errors of a form's draft, from the core (empty: it may be saved). */
object Forms {
    suspend fun validate(gateway: OffgridGateway, draft: Draft): List<FieldError> =
        gateway.call { it.screens { s -> s.validateDraft(draft) } }
}

/** The checklist runner of one inspection. */
class ChecklistStateHolder(gateway: OffgridGateway, scope: CoroutineScope, val id: String) :
    ScreenStateHolder<ChecklistScreen>(
        gateway, scope,
        query = { it.screens { s -> s.checklist(id) } },
        concerns = { id in it.records },
    ) {
    /** Answers an item; [valueJson] is the answer as JSON (`"pass"`, `3.5`, `["a","b"]`). */
    fun answer(itemId: String, valueJson: String, note: String? = null): Job =
        command { it.screens { s -> s.checklistAnswer(id, itemId, valueJson, note) } }

    fun submit(): Job = command { it.screens { s -> s.checklistCommand(id, ChecklistCommand.Submit) } }

    fun review(accept: Boolean, note: String?): Job =
        command { it.screens { s -> s.checklistCommand(id, ChecklistCommand.Review(accept, note)) } }

    /** Attaches the photo the camera wrote at [path] (from [Photos.capturePath]) to an item. */
    fun attachPhoto(itemId: String, path: String, capture: CaptureContext = CaptureContext()): Job = command { store ->
        store.photos().addCaptured(PhotoTarget.Inspection(id, itemId), path, capture)
        store.screens { s -> s.checklist(id) }
    }
}

/** A hazard's detail: timeline, photos before and after, the steps the user may take. */
class HazardStateHolder(gateway: OffgridGateway, scope: CoroutineScope, val id: String) :
    ScreenStateHolder<HazardScreen>(
        gateway, scope,
        query = { it.screens { s -> s.hazard(id) } },
        concerns = { id in it.records },
    ) {
    fun perform(step: HazardCommand): Job = command { it.screens { s -> s.hazardCommand(id, step) } }

    /** Attaches the photo the camera wrote at [path]: as found, or of the rectification. */
    fun attachPhoto(path: String, rectification: Boolean, capture: CaptureContext = CaptureContext()): Job = command { store ->
        store.photos().addCaptured(PhotoTarget.Hazard(id, rectification), path, capture)
        store.screens { s -> s.hazard(id) }
    }
}

/** Photos cross as paths the core hands out: the camera writes there, then a holder attaches. */
object Photos {
    /** A new file path in the store's capture folder. */
    suspend fun capturePath(gateway: OffgridGateway): String = gateway.call { it.photos().capturePath() }

    /** Shots taken but never attached (the app was killed in between): offer them again. */
    suspend fun leftovers(gateway: OffgridGateway): List<String> = gateway.call { it.photos().leftoverCaptures() }
}

/** A patrol run: the next checkpoint, progress, flags and the actions allowed now. */
class PatrolRunStateHolder(gateway: OffgridGateway, scope: CoroutineScope, val id: String) :
    ScreenStateHolder<PatrolRunScreen>(
        gateway, scope,
        query = { it.screens { s -> s.patrolRun(id) } },
        concerns = { id in it.records || it.touches(RecordKind.PATROL_PLAN, RecordKind.SITE) },
    ) {
    /** A scan read by NFC reader mode or the QR scanner (or a checkpoint chosen by hand); the
     * verdict comes back as the screen's `lastScan`. */
    fun scan(input: ScanInput): Job = perform(PatrolCommand.Scan(input))

    fun skip(checkpoint: String, reason: String): Job = perform(PatrolCommand.Skip(checkpoint, reason))

    fun observe(observation: NewObservation): Job = perform(PatrolCommand.Observe(observation))

    fun pause(): Job = perform(PatrolCommand.Pause)

    fun resume(): Job = perform(PatrolCommand.Resume)

    fun finish(reason: String?): Job = perform(PatrolCommand.Finish(reason))

    fun approveSkip(skip: String): Job = perform(PatrolCommand.ApproveSkip(skip))

    fun void(reason: String): Job = perform(PatrolCommand.Void(reason))

    private fun perform(step: PatrolCommand): Job = command { it.screens { s -> s.patrolCommand(id, step) } }
}

/** Coverage of the grid cells the user belongs to over a period. */
class CoverageStateHolder(
    gateway: OffgridGateway,
    scope: CoroutineScope,
    fromMs: Long,
    toMs: Long,
) : ScreenStateHolder<List<CellCoverage>>(
    gateway, scope,
    query = { it.screens { s -> s.myCoverage(fromMs, toMs) } },
    concerns = { it.touches(RecordKind.PATROL_RUN, RecordKind.PATROL_PLAN, RecordKind.SITE, RecordKind.GRID_CELL, RecordKind.HAZARD) },
) {
    companion object {
        /** Coverage from the first of this month (device time) to now. */
        fun thisMonth(gateway: OffgridGateway, scope: CoroutineScope, now: java.time.ZonedDateTime = java.time.ZonedDateTime.now()): CoverageStateHolder {
            val from = now.toLocalDate().withDayOfMonth(1).atStartOfDay(now.zone)
            return CoverageStateHolder(gateway, scope, from.toInstant().toEpochMilli(), now.toInstant().toEpochMilli() + 1)
        }
    }
}

/** The list screens the apps have. */
enum class ListKind(val recordKind: RecordKind, val screenKind: ListScreenKind) {
    INSPECTIONS(RecordKind.INSPECTION, ListScreenKind.INSPECTIONS),
    HAZARDS(RecordKind.HAZARD, ListScreenKind.HAZARDS),
}

/** Scans as the readers deliver them, for [PatrolRunStateHolder.scan]. */
object Scans {
    /** An NFC tag's NDEF URI (null: a tag without one, which the core refuses with a reason). */
    fun nfc(uri: String?, monotonicMs: Long?): ScanInput =
        ScanInput(CheckMethod.NFC, uri, null, listOf(), monotonicMs, null)

    /** A QR code's text. */
    fun qr(text: String, monotonicMs: Long?): ScanInput =
        ScanInput(CheckMethod.QR, text, null, listOf(), monotonicMs, null)

    /** A checkpoint chosen by hand, with the photos taken there (already attached to the run). */
    fun manual(checkpoint: String, photos: List<String>): ScanInput =
        ScanInput(CheckMethod.MANUAL_PHOTO, null, checkpoint, photos, null, null)
}

/** Hazard steps as the detail screen's buttons make them. */
object HazardSteps {
    /** The command of a step that needs no input, or null when it needs a form first. */
    fun simple(action: HazardAction): HazardCommand? = when (action) {
        HazardAction.CLOSE -> HazardCommand.Close(null)
        else -> null
    }
}
