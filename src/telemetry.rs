//! Logging to standard error, filtered by `--log`/`PEPITE_LOG`, as text or JSON lines.

use std::io::IsTerminal;

use tracing_subscriber::EnvFilter;

use crate::config::LogFormat;

/// Installs the global subscriber once; later calls are no-ops. Colours only on a terminal, so
/// that redirected logs hold no escape codes.
pub fn init(filter: &str, format: LogFormat) {
    let filter = EnvFilter::try_new(filter).unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    let _ = match format {
        // tracing-subscriber leaves colours out when NO_COLOR is set; a file or a pipe never gets them.
        LogFormat::Text if std::io::stderr().is_terminal() => builder.try_init(),
        LogFormat::Text => builder.with_ansi(false).try_init(),
        LogFormat::Json => builder.json().flatten_event(true).with_current_span(false).try_init(),
    };
}
