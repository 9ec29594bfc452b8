// A small test runner for the Kotlin binding tests (no JUnit on this machine's registries):
// named test cases, kotlin.test assertions, and a coverage check that every method of the
// exported interfaces was called at least once through a recording proxy.
package offgrid.tests

import java.lang.reflect.InvocationTargetException
import java.lang.reflect.Proxy
import java.lang.reflect.UndeclaredThrowableException
import java.nio.file.Files
import java.nio.file.Path
import java.util.concurrent.ConcurrentHashMap
import kotlin.system.exitProcess
import uniffi.offgrid_ffi.ProjectRole
import uniffi.offgrid_ffi.Role
import uniffi.offgrid_ffi.User
import uniffi.offgrid_ffi.ChangeSubscriptionInterface
import uniffi.offgrid_ffi.OffgridStore
import uniffi.offgrid_ffi.OffgridStoreInterface

private val cases = mutableListOf<Pair<String, () -> Unit>>()

fun test(name: String, body: () -> Unit) {
    cases.add(name to body)
}

/** Records which interface methods the tests call. */
object Coverage {
    private val called: MutableSet<String> = ConcurrentHashMap.newKeySet()

    fun <T : Any> track(iface: Class<T>, real: T): T =
        iface.cast(
            Proxy.newProxyInstance(iface.classLoader, arrayOf(iface)) { _, method, args ->
                called.add("${iface.simpleName}.${method.name}")
                try {
                    method.invoke(real, *(args ?: emptyArray()))
                } catch (e: InvocationTargetException) {
                    throw e.targetException
                }
            },
        )

    fun missing(iface: Class<*>): List<String> =
        iface.declaredMethods
            .filter { !it.isSynthetic && !it.name.contains('$') }
            .map { "${iface.simpleName}.${it.name}" }
            .filter { it !in called }
            .sorted()
}

// The store's sub-objects, recorded for the coverage check: `s.inspections.create(…)` calls
// `s.inspections()` and records every method called on what it returns.
val OffgridStoreInterface.inspections: uniffi.offgrid_ffi.OffgridInspectionsInterface
    get() = Coverage.track(uniffi.offgrid_ffi.OffgridInspectionsInterface::class.java, inspections())
val OffgridStoreInterface.hazards: uniffi.offgrid_ffi.OffgridHazardsInterface
    get() = Coverage.track(uniffi.offgrid_ffi.OffgridHazardsInterface::class.java, hazards())
val OffgridStoreInterface.photos: uniffi.offgrid_ffi.OffgridPhotosInterface
    get() = Coverage.track(uniffi.offgrid_ffi.OffgridPhotosInterface::class.java, photos())
val OffgridStoreInterface.sync: uniffi.offgrid_ffi.OffgridSyncInterface
    get() = Coverage.track(uniffi.offgrid_ffi.OffgridSyncInterface::class.java, sync())
val OffgridStoreInterface.documents: uniffi.offgrid_ffi.OffgridDocumentsInterface
    get() = Coverage.track(uniffi.offgrid_ffi.OffgridDocumentsInterface::class.java, documents())

/** A photo "taken": written where the camera would write it, then attached by path. */
fun OffgridStoreInterface.attach(
    target: uniffi.offgrid_ffi.PhotoTarget,
    bytes: ByteArray,
    capture: uniffi.offgrid_ffi.CaptureContext,
): uniffi.offgrid_ffi.PhotoMeta {
    val path = photos.capturePath()
    java.io.File(path).writeBytes(bytes)
    return photos.addCaptured(target, path, capture)
}

/**
 * Runs [block] and returns the exception it throws, which must be a [T]. Unwraps the
 * `UndeclaredThrowableException` the recording proxy adds around checked exceptions.
 */
inline fun <reified T : Throwable> fails(block: () -> Unit): T {
    try {
        block()
    } catch (e: Throwable) {
        val actual = if (e is UndeclaredThrowableException) e.undeclaredThrowable else e
        if (actual is T) return actual
        throw AssertionError("expected ${T::class.simpleName}, got $actual", actual)
    }
    throw AssertionError("expected ${T::class.simpleName}, nothing was thrown")
}

/** A fresh database file in a new temporary folder. */
fun tempDb(): Path = Files.createTempDirectory("offgrid-kt").resolve("offgrid.db")

/**
 * Opens a store at [path] (encrypted with [key] when given, as on the phones); [body] gets the
 * real object (for close) and a recording view.
 */
fun <R> withStore(
    path: Path = tempDb(),
    key: ByteArray? = null,
    body: (OffgridStore, OffgridStoreInterface) -> R,
): R =
    (if (key == null) OffgridStore(path.toString(), 480) else OffgridStore.openEncrypted(path.toString(), 480, key)).use { real ->
        // Closed at once, whoever still holds a sub-object (photos(), sync(), …) until the GC
        // runs: a later open with a key, or a key change, needs the file closed.
        try {
            body(real, Coverage.track(OffgridStoreInterface::class.java, real))
        } finally {
            real.closeDatabase()
        }
    }

fun fixture(name: String): String {
    val root = System.getProperty("offgrid.fixtures") ?: "tests/bindings/fixtures"
    return Path.of(root, name).toFile().readText()
}

val admin = User("u-admin", "管理员", listOf(ProjectRole("*", Role.ADMIN)))
val inspector = User("u-zhang", "张工", listOf(ProjectRole("p1", Role.INSPECTOR)))
val rectifier = User("u-li", "李师傅", listOf(ProjectRole("p1", Role.RECTIFIER)))
val supervisor = User("u-wang", "王总监", listOf(ProjectRole("p1", Role.SUPERVISOR)))

fun main() {
    uniffi.offgrid_ffi.uniffiEnsureInitialized()
    storeTests()
    encryptionTests()
    inspectionTests()
    hazardTests()
    concurrencyTests()
    callbackTests()
    photoTests()
    syncTests()
    referenceTests()
    patrolTests()
    screensTests()
    documentTests()

    var failed = 0
    for ((name, body) in cases) {
        val start = System.nanoTime()
        try {
            body()
            println("ok    $name (${(System.nanoTime() - start) / 1_000_000} ms)")
        } catch (e: Throwable) {
            failed++
            println("FAIL  $name: $e")
            e.printStackTrace(System.out)
        }
    }
    val missing =
        Coverage.missing(OffgridStoreInterface::class.java) +
            Coverage.missing(ChangeSubscriptionInterface::class.java) +
            Coverage.missing(uniffi.offgrid_ffi.OffgridGridInterface::class.java) +
            Coverage.missing(uniffi.offgrid_ffi.OffgridSitesInterface::class.java) +
            Coverage.missing(uniffi.offgrid_ffi.OffgridPatrolsInterface::class.java) +
            Coverage.missing(uniffi.offgrid_ffi.OffgridScreensInterface::class.java) +
            Coverage.missing(uniffi.offgrid_ffi.OffgridSyncServiceInterface::class.java) +
            Coverage.missing(uniffi.offgrid_ffi.OffgridInspectionsInterface::class.java) +
            Coverage.missing(uniffi.offgrid_ffi.OffgridHazardsInterface::class.java) +
            Coverage.missing(uniffi.offgrid_ffi.OffgridPhotosInterface::class.java) +
            Coverage.missing(uniffi.offgrid_ffi.OffgridDocumentsInterface::class.java) +
            Coverage.missing(uniffi.offgrid_ffi.OffgridSyncInterface::class.java)
    if (missing.isNotEmpty()) {
        failed++
        println("FAIL  coverage: exported methods never called from Kotlin: $missing")
    } else {
        println("ok    coverage: every exported method was called")
    }
    println("kotlin: ${cases.size + 1 - failed} passed, $failed failed")
    exitProcess(if (failed == 0) 0 else 1)
}
