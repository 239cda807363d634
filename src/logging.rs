//! The log: redis-sentinel's line format (or logfmt, or JSON), to the
//! `logfile` or to standard output when it is empty. Nothing goes to stderr
//! once logging is set up: tools that run sentinels treat stderr as a crash.
//!
//! # Line formats (`log-format`, Valkey's directive)
//!
//! - `legacy` (default), byte for byte redis-sentinel's:
//!   `12345:X 24 Nov 2026 23:36:48.123 # +sdown master m 10.0.0.1 6379`,
//!   the level as one character (`.` debug, `-` verbose, `*` notice,
//!   `#` warning);
//! - `logfmt`: `pid=12345 role=sentinel timestamp="24 Nov 2026 23:36:48.123"
//!   level=warning message="+sdown master m 10.0.0.1 6379"`;
//! - `json`: `{"pid":12345,"role":"sentinel","timestamp":"...",
//!   "level":"warning","message":"..."}`, one object per line.
//!
//! The level words are Valkey's in these formats (`debug`, `info`,
//! `notice`, `warning`: `loglevel verbose` lines say `info`), so that a log
//! pipeline written for Valkey's logfmt reads ours. `log-timestamp-format` picks the time: `legacy` (`24 Nov
//! 2026 23:36:48.123`), `iso8601` (`2026-11-24T23:36:48.123+01:00`) or
//! `milliseconds` (since the Unix epoch; a number in JSON). Times are local,
//! as redis writes them (the `TZ` of the process).
//!
//! # Rotation
//!
//! redis opens and closes its log file for every line, so a file that
//! logrotate moved away is recreated by the next line. rsentinel keeps the
//! file open and, before each line, compares the device and inode of the
//! path with those of the open file (one `stat`, far cheaper than an open
//! and a close): when the path is gone or is another file, the file is
//! reopened (created) and the line goes there. SIGHUP ([`reopen`]) forces a
//! reopen at the next line, for tools that expect it (and for a file
//! replaced by one with the same inode, which the check cannot see). A
//! reopen that fails keeps the old file and is retried at the next line.

use std::fmt;
use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::MetadataExt;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};

use tracing::{Event, Level, Subscriber};
use tracing_subscriber::filter::LevelFilter;
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields, MakeWriter};
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::reload;
use tracing_subscriber::util::SubscriberInitExt;

use crate::config::{LogFormat, LogLevel, LogTimestampFormat};

/// What [`init`] needs: the `logfile`, `loglevel`, `log-format` and
/// `log-timestamp-format` directives.
#[derive(Debug, Clone)]
pub struct LogSettings {
    /// `logfile`: empty = standard output.
    pub logfile: String,
    /// `loglevel`.
    pub level: LogLevel,
    /// `log-format`.
    pub format: LogFormat,
    /// `log-timestamp-format`.
    pub timestamps: LogTimestampFormat,
}

/// Formats events as configured.
struct LineFormat {
    format: LogFormat,
    timestamps: LogTimestampFormat,
}

impl<S, N> FormatEvent<S, N> for LineFormat
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    fn format_event(
        &self,
        ctx: &FmtContext<'_, S, N>,
        mut w: Writer<'_>,
        event: &Event<'_>,
    ) -> fmt::Result {
        let mut message = String::new();
        ctx.field_format().format_fields(Writer::new(&mut message), event)?;
        let line = render_line(
            self.format,
            self.timestamps,
            std::process::id(),
            *event.metadata().level(),
            &now(),
            &message,
        );
        w.write_str(&line)
    }
}

/// A moment, split as the formats need it (local time).
#[derive(Debug, Clone, PartialEq, Eq)]
struct Moment {
    /// Milliseconds since the Unix epoch.
    epoch_ms: u64,
    year: i64,
    /// 1-12.
    month: u32,
    day: u32,
    hour: u32,
    minute: u32,
    second: u32,
    millis: u32,
    /// Seconds east of UTC.
    offset_secs: i64,
}

/// The current local time.
fn now() -> Moment {
    let since =
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
    let secs = since.as_secs() as libc::time_t;
    // SAFETY: localtime_r writes into the `tm` we own; a zeroed `tm` is a
    // valid value of that plain C struct.
    let mut tm: libc::tm = unsafe { std::mem::zeroed() };
    let ok = !unsafe { libc::localtime_r(&secs, &mut tm) }.is_null();
    if !ok {
        tm = unsafe { std::mem::zeroed() };
        tm.tm_year = 70;
        tm.tm_mday = 1;
    }
    Moment {
        epoch_ms: since.as_millis() as u64,
        year: i64::from(tm.tm_year) + 1900,
        month: (tm.tm_mon + 1) as u32,
        day: tm.tm_mday as u32,
        hour: tm.tm_hour as u32,
        minute: tm.tm_min as u32,
        second: tm.tm_sec as u32,
        millis: since.subsec_millis(),
        offset_secs: tm.tm_gmtoff,
    }
}

const MONTHS: [&str; 12] =
    ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/// The timestamp text.
fn render_time(timestamps: LogTimestampFormat, t: &Moment) -> String {
    match timestamps {
        LogTimestampFormat::Legacy => format!(
            "{:02} {} {} {:02}:{:02}:{:02}.{:03}",
            t.day,
            MONTHS[(t.month.clamp(1, 12) - 1) as usize],
            t.year,
            t.hour,
            t.minute,
            t.second,
            t.millis
        ),
        LogTimestampFormat::Iso8601 => {
            let sign = if t.offset_secs < 0 { '-' } else { '+' };
            let off = t.offset_secs.unsigned_abs();
            format!(
                "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}{sign}{:02}:{:02}",
                t.year,
                t.month,
                t.day,
                t.hour,
                t.minute,
                t.second,
                t.millis,
                off / 3600,
                off % 3600 / 60
            )
        }
        LogTimestampFormat::Milliseconds => t.epoch_ms.to_string(),
    }
}

/// The level as redis's one-character mark and as Valkey's word in logfmt
/// (`verbose` is `info` there).
fn level_names(level: Level) -> (char, &'static str) {
    match level {
        Level::ERROR | Level::WARN => ('#', "warning"),
        Level::INFO => ('*', "notice"),
        Level::DEBUG => ('-', "info"),
        Level::TRACE => ('.', "debug"),
    }
}

/// One whole log line, with its newline.
fn render_line(
    format: LogFormat,
    timestamps: LogTimestampFormat,
    pid: u32,
    level: Level,
    t: &Moment,
    message: &str,
) -> String {
    let time = render_time(timestamps, t);
    let (mark, word) = level_names(level);
    match format {
        LogFormat::Legacy => format!("{pid}:X {time} {mark} {message}\n"),
        // Valkey's field order and names; the timestamp is quoted even
        // when it is a number, as Valkey writes it.
        LogFormat::Logfmt => format!(
            "pid={pid} role=sentinel timestamp={} level={word} message={}\n",
            json_string(&time),
            json_string(message)
        ),
        LogFormat::Json => {
            let time = match timestamps {
                LogTimestampFormat::Milliseconds => time,
                _ => json_string(&time),
            };
            format!(
                "{{\"pid\":{pid},\"role\":\"sentinel\",\"timestamp\":{time},\"level\":\"{word}\",\"message\":{}}}\n",
                json_string(message)
            )
        }
    }
}

/// A JSON string literal (RFC 8259 escapes); also a logfmt value in double
/// quotes (line breaks escaped, so one event stays one line).
fn json_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Where the lines go.
enum Sink {
    Stdout,
    File(Mutex<OpenLog>),
}

/// The log file, and what it was when opened.
struct OpenLog {
    /// The configured path, made absolute at start (a later `chdir` to
    /// `dir` must not move it).
    path: PathBuf,
    file: File,
    /// (device, inode) of `file`.
    id: (u64, u64),
    /// Reopen before the next line (SIGHUP).
    forced: bool,
}

impl OpenLog {
    fn open(path: PathBuf) -> io::Result<OpenLog> {
        let file = OpenOptions::new().create(true).append(true).open(&path)?;
        let meta = file.metadata()?;
        Ok(OpenLog { path, file, id: (meta.dev(), meta.ino()), forced: false })
    }

    /// Reopens the file when forced, or when the path is gone or names
    /// another file (moved by logrotate, deleted).
    fn check(&mut self) {
        let moved = match std::fs::metadata(&self.path) {
            Ok(meta) => (meta.dev(), meta.ino()) != self.id,
            Err(_) => true,
        };
        if (moved || self.forced)
            && let Ok(fresh) = OpenLog::open(self.path.clone())
        {
            *self = fresh;
        }
    }
}

/// The writer the formatting layer asks for once per line.
#[derive(Clone)]
struct SinkHandle(Arc<Sink>);

/// One line's writer: standard output, or the checked log file, locked
/// for the line.
enum LineWriter<'a> {
    Stdout(io::StdoutLock<'static>),
    File(MutexGuard<'a, OpenLog>),
}

impl Write for LineWriter<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            LineWriter::Stdout(out) => out.write(buf),
            LineWriter::File(log) => log.file.write(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            LineWriter::Stdout(out) => out.flush(),
            LineWriter::File(log) => log.file.flush(),
        }
    }
}

impl<'a> MakeWriter<'a> for SinkHandle {
    type Writer = LineWriter<'a>;

    fn make_writer(&'a self) -> LineWriter<'a> {
        match &*self.0 {
            Sink::Stdout => LineWriter::Stdout(io::stdout().lock()),
            Sink::File(log) => {
                let mut log = log.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
                log.check();
                LineWriter::File(log)
            }
        }
    }
}

fn filter(level: LogLevel) -> LevelFilter {
    match level {
        LogLevel::Debug => LevelFilter::TRACE,
        LogLevel::Verbose => LevelFilter::DEBUG,
        LogLevel::Notice => LevelFilter::INFO,
        LogLevel::Warning => LevelFilter::WARN,
        LogLevel::Nothing => LevelFilter::OFF,
    }
}

/// Changes the level of the installed subscriber.
type SetLevel = Box<dyn Fn(LevelFilter) + Send + Sync>;

/// How to change the running level; set once by [`init`].
static SET_LEVEL: OnceLock<SetLevel> = OnceLock::new();

/// The sink, for [`reopen`]; set once by [`init`].
static SINK: OnceLock<Arc<Sink>> = OnceLock::new();

/// Opens the log file (when one is set) and installs the global subscriber.
pub fn init(settings: &LogSettings) -> io::Result<()> {
    let sink = if settings.logfile.is_empty() {
        Sink::Stdout
    } else {
        let path = PathBuf::from(&settings.logfile);
        let path = std::path::absolute(&path).unwrap_or(path);
        Sink::File(Mutex::new(OpenLog::open(path)?))
    };
    let sink = Arc::new(sink);
    let _ = SINK.set(sink.clone());
    let (level_layer, handle) = reload::Layer::new(filter(settings.level));
    let layer = tracing_subscriber::fmt::layer()
        .with_ansi(false)
        .event_format(LineFormat { format: settings.format, timestamps: settings.timestamps })
        .with_writer(SinkHandle(sink));
    tracing_subscriber::registry().with(level_layer).with(layer).init();
    let _ = SET_LEVEL.set(Box::new(move |f| {
        let _ = handle.reload(f);
    }));
    Ok(())
}

/// Logs at `level` from now on (`SENTINEL CONFIG SET loglevel`); does
/// nothing before [`init`].
pub fn set_level(level: LogLevel) {
    if let Some(set) = SET_LEVEL.get() {
        set(filter(level));
    }
}

/// Reopens the log file before the next line (SIGHUP); nothing when
/// logging to standard output.
pub fn reopen() {
    if let Some(Sink::File(log)) = SINK.get().map(|s| &**s) {
        log.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).forced = true;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn moment() -> Moment {
        Moment {
            epoch_ms: 1_795_996_608_123,
            year: 2026,
            month: 11,
            day: 4,
            hour: 3,
            minute: 6,
            second: 48,
            millis: 7,
            offset_secs: -(3 * 3600 + 30 * 60),
        }
    }

    #[test]
    fn timestamps() {
        let t = moment();
        assert_eq!(render_time(LogTimestampFormat::Legacy, &t), "04 Nov 2026 03:06:48.007");
        assert_eq!(render_time(LogTimestampFormat::Iso8601, &t), "2026-11-04T03:06:48.007-03:30");
        assert_eq!(render_time(LogTimestampFormat::Milliseconds, &t), "1795996608123");
        let utc = Moment { offset_secs: 0, ..t };
        assert_eq!(render_time(LogTimestampFormat::Iso8601, &utc), "2026-11-04T03:06:48.007+00:00");
    }

    #[test]
    fn legacy_line_is_redis_sentinels() {
        let t = moment();
        let legacy = |level| {
            render_line(LogFormat::Legacy, LogTimestampFormat::Legacy, 42, level, &t, "hi there")
        };
        assert_eq!(legacy(Level::WARN), "42:X 04 Nov 2026 03:06:48.007 # hi there\n");
        assert_eq!(legacy(Level::INFO), "42:X 04 Nov 2026 03:06:48.007 * hi there\n");
        assert_eq!(legacy(Level::DEBUG), "42:X 04 Nov 2026 03:06:48.007 - hi there\n");
        assert_eq!(legacy(Level::TRACE), "42:X 04 Nov 2026 03:06:48.007 . hi there\n");
    }

    #[test]
    fn logfmt_and_json_escape() {
        let t = moment();
        let msg = "a \"b\" \\ c\nd\u{1}";
        assert_eq!(
            render_line(LogFormat::Logfmt, LogTimestampFormat::Legacy, 7, Level::INFO, &t, msg),
            "pid=7 role=sentinel timestamp=\"04 Nov 2026 03:06:48.007\" level=notice \
             message=\"a \\\"b\\\" \\\\ c\\nd\\u0001\"\n"
        );
        assert_eq!(
            render_line(LogFormat::Json, LogTimestampFormat::Milliseconds, 7, Level::WARN, &t, msg),
            "{\"pid\":7,\"role\":\"sentinel\",\"timestamp\":1795996608123,\"level\":\"warning\",\
             \"message\":\"a \\\"b\\\" \\\\ c\\nd\\u0001\"}\n"
        );
    }

    #[test]
    fn level_words_are_valkeys() {
        let t = moment();
        let word = |level| {
            render_line(LogFormat::Logfmt, LogTimestampFormat::Legacy, 7, level, &t, "m")
                .split(' ')
                .find_map(|f| f.strip_prefix("level=").map(str::to_string))
                .unwrap()
        };
        assert_eq!(word(Level::TRACE), "debug");
        assert_eq!(word(Level::DEBUG), "info", "Valkey calls loglevel verbose info");
        assert_eq!(word(Level::INFO), "notice");
        assert_eq!(word(Level::WARN), "warning");
    }
}
