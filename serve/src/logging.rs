//! Logs to stderr through `tracing`, filtered by `$OFFGRID_LOG` (e.g. `debug`,
//! `offgrid_server=debug`). Logs never carry personal data (names, answers, passwords).

/// Starts logging at `default` (`info` for the server, `warn` for a one-off command) unless
/// `$OFFGRID_LOG` says otherwise.
pub fn init_logging(default: &str) {
    let filter = tracing_subscriber::EnvFilter::try_from_env("OFFGRID_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
}
