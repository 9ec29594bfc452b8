// Foreign traits: the change listener (called on a Rust thread, coalesced, cancellable) and the
// logger (tracing events with a level filter).
package offgrid.tests

import java.util.Collections
import java.util.concurrent.CountDownLatch
import java.util.concurrent.TimeUnit
import kotlin.test.assertContains
import kotlin.test.assertEquals
import kotlin.test.assertFalse
import kotlin.test.assertTrue
import uniffi.offgrid_ffi.ChangeEvent
import uniffi.offgrid_ffi.RecordKind
import uniffi.offgrid_ffi.ChangeListener
import uniffi.offgrid_ffi.ChangeSubscriptionInterface
import uniffi.offgrid_ffi.LogLevel
import uniffi.offgrid_ffi.LogRecord
import uniffi.offgrid_ffi.Logger
import uniffi.offgrid_ffi.setLogger

class RecordingListener(expected: Int) : ChangeListener {
    val seen: MutableSet<String> = Collections.synchronizedSet(mutableSetOf())
    val threads: MutableSet<String> = Collections.synchronizedSet(mutableSetOf())
    val topics: MutableSet<RecordKind> = Collections.synchronizedSet(mutableSetOf())
    val latch = CountDownLatch(expected)

    override fun onChange(event: ChangeEvent) {
        threads.add(Thread.currentThread().name)
        topics.addAll(event.topics)
        for (r in event.records) if (seen.add(r)) latch.countDown()
    }
}

class RecordingLogger : Logger {
    val records: MutableList<LogRecord> = Collections.synchronizedList(mutableListOf())

    override fun log(record: LogRecord) {
        records.add(record)
    }
}

fun callbackTests() {
    test("change listener: told on a Rust thread, may read the store, cancel stops it") {
        withStore { _, s ->
            s.setUser(admin)
            val listener = RecordingListener(3)
            val sub = Coverage.track(ChangeSubscriptionInterface::class.java, s.subscribe(listener))
            val writer = Thread.currentThread().name
            val ids = (1..3).map { s.createRecord(RecordKind.PROJECT, """{"title": "项目$it"}""") }
            assertTrue(listener.latch.await(10, TimeUnit.SECONDS), "listener saw ${listener.seen}")
            assertEquals(ids.toSet(), listener.seen)
            assertEquals(setOf(RecordKind.PROJECT), listener.topics)
            assertFalse(writer in listener.threads)
            sub.cancel()
            sub.cancel()
            s.createRecord(RecordKind.PROJECT, """{"title": "取消后"}""")
            Thread.sleep(200)
            assertEquals(3, listener.seen.size)
        }
    }

    test("a listener that throws does not fail the write") {
        withStore { _, s ->
            s.setUser(admin)
            val calls = CountDownLatch(2)
            val sub = s.subscribe(object : ChangeListener {
                override fun onChange(event: ChangeEvent) {
                    calls.countDown()
                    throw IllegalStateException("listener bug")
                }
            })
            s.createRecord(RecordKind.PROJECT, "{}")
            Thread.sleep(100)
            s.createRecord(RecordKind.PROJECT, "{}")
            assertTrue(calls.await(10, TimeUnit.SECONDS))
            sub.close()
        }
    }

    test("logger: tracing events above the level reach Kotlin") {
        val logger = RecordingLogger()
        setLogger(logger, LogLevel.DEBUG)
        try {
            withStore { _, s -> s.verify() }
            val opened = logger.records.filter { it.message.contains("store opened") }
            assertTrue(opened.isNotEmpty(), "got ${logger.records}")
            assertEquals(LogLevel.DEBUG, opened[0].level)
            assertContains(opened[0].target, "offgrid_core")
            setLogger(logger, LogLevel.WARN)
            logger.records.clear()
            withStore { _, s -> s.verify() }
            assertTrue(logger.records.none { it.level == LogLevel.DEBUG }, "got ${logger.records}")
            setLogger(null, LogLevel.TRACE)
            withStore { _, s -> s.verify() }
            assertTrue(logger.records.isEmpty())
        } finally {
            setLogger(null, LogLevel.ERROR)
        }
    }
}
