// A small runner for the presentation tests on the JVM, against the real native library (no
// JUnit on this machine's registries; the Gradle build runs the same `main`). Each case gets a
// fresh store; the "main thread" is a single thread named `test-main`, as Android's would be.
package offgrid.presentation

import java.lang.reflect.InvocationTargetException
import java.lang.reflect.Proxy
import java.nio.file.Files
import java.util.Collections
import java.util.concurrent.Executors
import kotlin.system.exitProcess
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.SupervisorJob
import kotlinx.coroutines.asCoroutineDispatcher
import kotlinx.coroutines.cancel
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.first
import kotlinx.coroutines.runBlocking
import kotlinx.coroutines.withTimeoutOrNull
import uniffi.offgrid_ffi.ProjectRole
import uniffi.offgrid_ffi.Role
import uniffi.offgrid_ffi.User
import uniffi.offgrid_ffi.OffgridStore
import uniffi.offgrid_ffi.OffgridStoreInterface

private val cases = mutableListOf<Pair<String, () -> Unit>>()

fun test(name: String, body: () -> Unit) {
    cases.add(name to body)
}

/** The UI thread of the tests. */
val mainDispatcher = Executors.newSingleThreadExecutor { Thread(it, "test-main").apply { isDaemon = true } }
    .asCoroutineDispatcher()
val isTestMain = MainThreadCheck { Thread.currentThread().name == "test-main" }

/** Threads on which the library was called, recorded by [recording]. */
val libraryThreads: MutableSet<String> = Collections.synchronizedSet(mutableSetOf())

/** The store seen through a proxy that records the thread of every call. */
fun recording(real: OffgridStoreInterface): OffgridStoreInterface =
    Proxy.newProxyInstance(
        OffgridStoreInterface::class.java.classLoader,
        arrayOf(OffgridStoreInterface::class.java),
    ) { _, method, args ->
        libraryThreads.add(Thread.currentThread().name)
        try {
            method.invoke(real, *(args ?: emptyArray()))
        } catch (e: InvocationTargetException) {
            throw e.targetException
        }
    } as OffgridStoreInterface

/** One device: a store in a new folder, its gateway, and a UI scope on the test main thread. */
class Device : AutoCloseable {
    val store = OffgridStore(Files.createTempDirectory("offgrid-presentation").resolve("offgrid.db").toString(), 480)
    val gateway = OffgridGateway(recording(store), mainThread = isTestMain)
    val ui = CoroutineScope(SupervisorJob() + mainDispatcher)

    override fun close() {
        ui.cancel()
        gateway.close()
        store.close()
    }
}

/** Runs [body] with a fresh device; everything it opened is closed after. */
fun withDevice(body: suspend (Device) -> Unit) = Device().use { d -> runBlocking { body(d) } }

/** Waits until [flow]'s value satisfies [pred] (10 s at most) and returns it. */
suspend fun <T> awaitState(what: String, flow: StateFlow<T>, pred: (T) -> Boolean): T =
    withTimeoutOrNull(10_000) { flow.first(pred) }
        ?: throw AssertionError("$what: timed out waiting; the state is ${flow.value}")

/** Waits until the holder shows a screen satisfying [pred]. */
suspend fun <T : Any> ScreenStateHolder<T>.awaitScreen(what: String, pred: (T) -> Boolean): T =
    awaitState(what, state) { !it.busy && it.screen != null && pred(it.screen!!) }.screen!!

fun serverUrl(): String = System.getProperty("offgrid.server") ?: error("-Doffgrid.server is not set")

fun samplePhoto(): ByteArray = java.io.File(System.getProperty("offgrid.sample") ?: "target/bindings/sample.jpg").readBytes()

const val PASSWORD = "correct horse"

val admin = User("u-admin", "管理员", listOf(ProjectRole("*", Role.ADMIN)))
val inspector = User("u-zhang", "张工", listOf(ProjectRole("p1", Role.INSPECTOR)))
val rectifier = User("u-li", "李师傅", listOf(ProjectRole("p1", Role.RECTIFIER)))
val supervisor = User("u-wang", "王总监", listOf(ProjectRole("p1", Role.SUPERVISOR)))

fun main() {
    uniffi.offgrid_ffi.uniffiEnsureInitialized()
    presentationTests()
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
    println("presentation: ${cases.size - failed} passed, $failed failed")
    exitProcess(if (failed == 0) 0 else 1)
}
