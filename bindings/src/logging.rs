//! The core's `tracing` events, delivered to a [`Logger`] the shell implements (Android routes
//! them to Logcat, iOS to OSLog), above a level the shell chooses.
//!
//! A small `tracing` subscriber is installed as the process-wide default on the first
//! [`set_logger`] call; later calls swap the logger or the level. Events carry no personal data
//! (the core logs ids and counts, never what users typed). Panics are logged too, before UniFFI
//! turns them into an exception at the boundary.

use std::cell::Cell;
use std::fmt::Write as _;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::{Arc, Once, RwLock};

use tracing::field::{Field, Visit};
use tracing::level_filters::LevelFilter;
use tracing::subscriber::Interest;
use tracing::{Event, Level, Metadata, Subscriber, span};

/// Severity, most severe first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, uniffi::Enum)]
pub enum LogLevel {
    /// Something failed (e.g. a Rust panic, logged before it becomes an exception).
    Error,
    /// A problem the library carried on from (e.g. a failed sync, a record the server refused).
    Warn,
    /// A milestone (e.g. logged in, the store being encrypted).
    Info,
    /// Detail for diagnosis (e.g. a call that failed, with its error).
    Debug,
    /// The finest detail.
    Trace,
}

impl From<LogLevel> for Level {
    fn from(l: LogLevel) -> Level {
        match l {
            LogLevel::Error => Level::ERROR,
            LogLevel::Warn => Level::WARN,
            LogLevel::Info => Level::INFO,
            LogLevel::Debug => Level::DEBUG,
            LogLevel::Trace => Level::TRACE,
        }
    }
}

impl From<&Level> for LogLevel {
    fn from(l: &Level) -> LogLevel {
        match *l {
            Level::ERROR => LogLevel::Error,
            Level::WARN => LogLevel::Warn,
            Level::INFO => LogLevel::Info,
            Level::DEBUG => LogLevel::Debug,
            _ => LogLevel::Trace,
        }
    }
}

/// One log event.
#[derive(Clone, Debug, PartialEq, uniffi::Record)]
pub struct LogRecord {
    /// How severe the event is.
    pub level: LogLevel,
    /// The Rust module that logged it, e.g. `offgrid_core::store`.
    pub target: String,
    /// The message followed by its fields (`store opened records=12`).
    pub message: String,
}

/// Implemented by the shell. Called on whichever thread logged; must not block.
#[uniffi::export(foreign)]
pub trait Logger: Send + Sync {
    /// Receives one event at or above the level given to `set_logger`, synchronously on the
    /// thread that logged (often a background one): return quickly. Events logged while it runs
    /// on that thread are dropped, not looped back, and an exception it throws is ignored.
    fn log(&self, record: LogRecord);
}

struct Sink {
    logger: Arc<dyn Logger>,
    max: Level,
}

static SINK: RwLock<Option<Sink>> = RwLock::new(None);
static INSTALL: Once = Once::new();

/// Routes the core's log events at `level` and above to `logger`; `None` stops logging.
#[uniffi::export]
pub fn set_logger(logger: Option<Arc<dyn Logger>>, level: LogLevel) {
    INSTALL.call_once(|| {
        if tracing::subscriber::set_global_default(ForeignSubscriber).is_err() {
            // The host already installed a subscriber (a Rust program embedding this crate):
            // it keeps receiving the events.
            return;
        }
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            tracing::error!(target: "offgrid_ffi::panic", "{info}");
            previous(info);
        }));
    });
    *SINK.write().unwrap_or_else(|e| e.into_inner()) = logger.map(|logger| Sink {
        logger,
        max: level.into(),
    });
    tracing::callsite::rebuild_interest_cache();
}

fn max_level() -> Option<Level> {
    SINK.read()
        .unwrap_or_else(|e| e.into_inner())
        .as_ref()
        .map(|s| s.max)
}

thread_local! {
    /// Set while a foreign logger runs on this thread: events it causes are dropped, not looped.
    static IN_LOGGER: Cell<bool> = const { Cell::new(false) };
}

struct ForeignSubscriber;

impl Subscriber for ForeignSubscriber {
    fn register_callsite(&self, _: &'static Metadata<'static>) -> Interest {
        // The level can change at any time, so ask `enabled` per event.
        Interest::sometimes()
    }

    fn max_level_hint(&self) -> Option<LevelFilter> {
        Some(max_level().map_or(LevelFilter::OFF, LevelFilter::from_level))
    }

    fn enabled(&self, meta: &Metadata<'_>) -> bool {
        max_level().is_some_and(|max| *meta.level() <= max)
    }

    fn new_span(&self, _: &span::Attributes<'_>) -> span::Id {
        span::Id::from_u64(1)
    }
    fn record(&self, _: &span::Id, _: &span::Record<'_>) {}
    fn record_follows_from(&self, _: &span::Id, _: &span::Id) {}
    fn enter(&self, _: &span::Id) {}
    fn exit(&self, _: &span::Id) {}

    fn event(&self, event: &Event<'_>) {
        if IN_LOGGER.with(Cell::get) {
            return;
        }
        let logger = match SINK.read().unwrap_or_else(|e| e.into_inner()).as_ref() {
            Some(sink) if *event.metadata().level() <= sink.max => sink.logger.clone(),
            _ => return,
        };
        let mut text = Text::default();
        event.record(&mut text);
        let record = LogRecord {
            level: event.metadata().level().into(),
            target: event.metadata().target().to_owned(),
            message: text.0,
        };
        IN_LOGGER.with(|f| f.set(true));
        // A logger that throws must never break the call that logged.
        let _ = catch_unwind(AssertUnwindSafe(|| logger.log(record)));
        IN_LOGGER.with(|f| f.set(false));
    }
}

/// Formats an event: the message first, then `name=value` for each other field.
#[derive(Default)]
struct Text(String);

impl Visit for Text {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if !self.0.is_empty() {
            self.0.push(' ');
        }
        if field.name() == "message" {
            let _ = write!(self.0, "{value:?}");
        } else {
            let _ = write!(self.0, "{}={value:?}", field.name());
        }
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            self.record_debug(field, &format_args!("{value}"));
        } else {
            self.record_debug(field, &value);
        }
    }
}
