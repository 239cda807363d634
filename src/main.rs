//! The `rsentinel` binary: command line, config loading, logging, then the
//! shell.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Parser;
use rsentinel::config::{self, Config, Format};
use rsentinel::logging::LogSettings;
use rsentinel::process::{self, ConfigLock, PidFile};
use rsentinel::shell::{self, Startup, Supervisor};

/// A Redis Sentinel, compatible with redis-sentinel 7.0.
#[derive(Parser, Debug)]
#[command(version, about, long_about = None)]
#[command(
    after_help = "Examples:\n  rsentinel sentinel.conf\n  rsentinel sentinel.conf --port 5000\n  \
                        rsentinel sentinel.yaml --port 5000\n  \
                        rsentinel sentinel.conf --sentinel monitor mymaster 127.0.0.1 6379 2\n  \
                        rsentinel --check-config sentinel.conf\n  \
                        rsentinel --ping 127.0.0.1:26379"
)]
struct Cli {
    /// Validate the configuration file and exit (0 = valid, 1 = invalid).
    #[arg(long)]
    check_config: bool,
    /// Send PING to a sentinel (default 127.0.0.1:26379; a bare number is
    /// a port on 127.0.0.1) and exit 0 on +PONG within 2 s, else 1 with the
    /// reason on stderr: a probe for containers without redis-cli. With
    /// REDISCLI_AUTH set, AUTH with that password first.
    #[arg(long, value_name = "HOST:PORT", num_args = 0..=1, default_missing_value = DEFAULT_PING)]
    ping: Option<String>,
    /// The config file to load and keep up to date: a sentinel.conf, or
    /// YAML when its name ends in .yaml or .yml.
    config: Option<PathBuf>,
    /// Extra configuration lines, redis-server style: `--port 5000`,
    /// `--sentinel monitor mymaster 127.0.0.1 6379 2`.
    #[arg(trailing_var_arg = true, allow_hyphen_values = true, value_name = "--DIRECTIVE ARGS")]
    overrides: Vec<String>,
}

/// Where `--ping` with no address goes.
const DEFAULT_PING: &str = "127.0.0.1:26379";

/// `rsentinel --ping [host:port]`: one PING, answered `+PONG` within
/// [`PING_TIMEOUT`] or not. With `REDISCLI_AUTH` set (redis-cli's variable),
/// an `AUTH` with that password goes first and must be answered `+OK`: a
/// sentinel with `requirepass` answers a bare PING `-NOAUTH`.
fn ping(target: &str) -> Result<(), String> {
    let password = std::env::var("REDISCLI_AUTH").ok().filter(|p| !p.is_empty());
    let mut request = Vec::new();
    let mut expect = Vec::new();
    if let Some(pass) = &password {
        request.extend_from_slice(format!("*2\r\n$4\r\nAUTH\r\n${}\r\n", pass.len()).as_bytes());
        request.extend_from_slice(pass.as_bytes());
        request.extend_from_slice(b"\r\n");
        expect.push("+OK");
    }
    request.extend_from_slice(b"*1\r\n$4\r\nPING\r\n");
    expect.push("+PONG");
    ping_with(target, &request, &expect)
}

/// Sends `request` to `target` and checks that the replies, one line each,
/// are `expect`.
fn ping_with(target: &str, request: &[u8], expect: &[&str]) -> Result<(), String> {
    use std::io::{Read, Write};
    use std::net::{TcpStream, ToSocketAddrs};
    let target = match target.parse::<u16>() {
        Ok(port) => format!("127.0.0.1:{port}"),
        Err(_) => target.to_string(),
    };
    let addrs = target.to_socket_addrs().map_err(|e| format!("{target}: {e}"))?;
    let mut last = format!("{target}: no address");
    for addr in addrs {
        let mut stream = match TcpStream::connect_timeout(&addr, PING_TIMEOUT) {
            Ok(s) => s,
            Err(e) => {
                last = format!("{target}: {e}");
                continue;
            }
        };
        let deadline = std::time::Instant::now() + PING_TIMEOUT;
        stream.write_all(request).map_err(|e| format!("{target}: {e}"))?;
        let mut reply = Vec::new();
        let mut buf = [0u8; 256];
        let lines = |r: &[u8]| r.windows(2).filter(|w| *w == b"\r\n").count();
        while lines(&reply) < expect.len() && reply.len() < 4096 {
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            if left.is_zero() {
                return Err(format!("{target}: no reply within {PING_TIMEOUT:?}"));
            }
            let _ = stream.set_read_timeout(Some(left));
            match stream.read(&mut buf) {
                Ok(0) => return Err(format!("{target}: connection closed without a reply")),
                Ok(n) => reply.extend_from_slice(&buf[..n]),
                Err(e)
                    if matches!(
                        e.kind(),
                        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                    ) =>
                {
                    return Err(format!("{target}: no reply within {PING_TIMEOUT:?}"));
                }
                Err(e) => return Err(format!("{target}: {e}")),
            }
        }
        if lines(&reply) < expect.len() {
            return Err(format!("{target}: a reply too long or incomplete"));
        }
        let text = String::from_utf8_lossy(&reply);
        for (line, wanted) in text.split("\r\n").zip(expect) {
            if line != *wanted {
                return Err(format!("{target} answered '{line}', not {wanted}"));
            }
        }
        return Ok(());
    }
    Err(last)
}

/// How long `--ping` waits to connect, and then for the reply.
const PING_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(2);

/// Turns `--name a b --other c` into config lines `[name a b] [other c]`.
/// `--sentinel` alone only says "sentinel mode", as for redis-server.
fn override_lines(args: &[String]) -> Result<Vec<Vec<String>>, String> {
    let mut lines: Vec<Vec<String>> = Vec::new();
    for a in args {
        if let Some(name) = a.strip_prefix("--") {
            if name.is_empty() {
                return Err("empty option name '--'".into());
            }
            lines.push(vec![name.to_string()]);
        } else {
            match lines.last_mut() {
                Some(line) => line.push(a.clone()),
                None => {
                    return Err(format!("unexpected argument '{a}': options must start with --"));
                }
            }
        }
    }
    lines.retain(|l| !(l.len() == 1 && l[0] == "sentinel"));
    Ok(lines)
}

/// A config file as loaded.
struct Loaded {
    config: Config,
    /// The text later rewrites start from (see `config::Loaded::text`).
    text: String,
    format: Format,
    /// The main file as read, then the files read for `include` lines.
    files: Vec<config::Source>,
}

/// Reads and parses the config file, in the format its extension says
/// (`.yaml`/`.yml` = YAML, anything else `sentinel.conf`, whose `include`
/// lines are followed).
fn load(path: &Path, overrides: &[Vec<String>]) -> Result<Loaded, String> {
    let format = Format::from_path(path);
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("Can't read the configuration file {}: {e}", path.display()))?;
    let render = |e: config::ConfigError| e.render(&path.display().to_string());
    match format {
        Format::Conf => {
            let loaded =
                config::load_conf(&text, overrides, &mut config::read_include).map_err(render)?;
            let main = config::Source { path: path.display().to_string(), text };
            let files = std::iter::once(main).chain(loaded.included).collect();
            Ok(Loaded { config: loaded.config, text: loaded.text, format, files })
        }
        Format::Yaml => {
            let config = config::load_str(format, &text, overrides).map_err(render)?;
            Ok(Loaded { config, text, format, files: Vec::new() })
        }
    }
}

/// The scripts of every master must be executable files, as redis-sentinel
/// checks when it loads its config: the error names the file and line of
/// the directive (the config model is pure and never looks at files).
fn check_scripts(config: &Config, files: &[config::Source]) -> Result<(), String> {
    for m in &config.masters {
        for (directive, script, error) in [
            (
                "notification-script",
                &m.notification_script,
                "Notification script seems non existing or non executable.",
            ),
            (
                "client-reconfig-script",
                &m.client_reconfig_script,
                "Client reconfiguration script seems non existing or non executable.",
            ),
        ] {
            // Scripts run from `dir` (the process changes to it before
            // anything runs), so a relative path is relative to it.
            let runnable = |p: &&str| match &config.server.dir {
                Some(dir) if Path::new(p).is_relative() => {
                    rsentinel::scripts::is_executable(&Path::new(dir).join(p).to_string_lossy())
                }
                _ => rsentinel::scripts::is_executable(p),
            };
            let Some(path) = script.as_deref().filter(|p| !runnable(p)) else {
                continue;
            };
            let wanted = ["sentinel", directive, m.name.as_str(), path];
            let found = files.iter().find_map(|f| {
                f.text.lines().enumerate().find_map(|(i, line)| {
                    let args = config::split_line(line).ok()?;
                    let same = args.len() == 4
                        && args.iter().zip(wanted).all(|(a, w)| a.eq_ignore_ascii_case(w));
                    same.then(|| (f.path.clone(), i + 1, line.to_string()))
                })
            });
            return Err(match found {
                Some((file, n, line)) => format!(
                    "\n*** FATAL CONFIG FILE ERROR (rsentinel {}) ***\nReading the configuration file {file}, at line {n}\n>>> '{line}'\n{error}\n",
                    env!("CARGO_PKG_VERSION")
                ),
                None => format!("sentinel {directive} {} {path}: {error}", m.name),
            });
        }
    }
    Ok(())
}

/// Warns once per directive accepted but not acted on, for each file:
/// the main file first (named by its line only), then included ones.
fn warn_not_acted_on(files: &[config::Source]) {
    for (i, file) in files.iter().enumerate() {
        for (name, line) in config::not_acted_on(&file.text) {
            let place = match i {
                0 => format!("line {line}"),
                _ => format!("line {line} of {}", file.path),
            };
            tracing::warn!(
                "'{name}' ({place}) is accepted for redis-sentinel compatibility, but rsentinel does not act on it"
            );
        }
    }
}

fn seed() -> u64 {
    use std::io::Read;
    let mut b = [0u8; 8];
    if std::fs::File::open("/dev/urandom").and_then(|mut f| f.read_exact(&mut b)).is_ok() {
        return u64::from_le_bytes(b);
    }
    let t = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
    t.as_nanos() as u64 ^ u64::from(std::process::id()) << 32
}

fn main() -> ExitCode {
    // SIGHUP must never end the process: ignored until the shell handles
    // it (it reopens the log file).
    // SAFETY: setting a signal's disposition to "ignore".
    unsafe {
        libc::signal(libc::SIGHUP, libc::SIG_IGN);
    }
    let cli = Cli::parse();
    if let Some(target) = &cli.ping {
        return match ping(target) {
            Ok(()) => {
                println!("PONG");
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("rsentinel --ping: {e}");
                ExitCode::from(1)
            }
        };
    }
    let Some(path) = cli.config.clone() else {
        eprintln!("Sentinel needs config file on disk to save state. Exiting...");
        return ExitCode::from(1);
    };
    let overrides = match override_lines(&cli.overrides) {
        Ok(o) => o,
        Err(e) => {
            eprintln!("Invalid command line: {e}");
            return ExitCode::from(1);
        }
    };
    let path = std::path::absolute(&path).unwrap_or(path);
    let Loaded { config, text, format, files } = match load(&path, &overrides) {
        Ok(loaded) => loaded,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(1);
        }
    };
    if let Err(e) = check_scripts(&config, &files) {
        eprintln!("{e}");
        return ExitCode::from(1);
    }
    if cli.check_config {
        println!("{}: configuration OK ({} masters)", path.display(), config.masters.len());
        return ExitCode::SUCCESS;
    }
    if let Err(e) = config::check_writable(&path) {
        eprintln!("{e}. Exiting...");
        return ExitCode::from(1);
    }
    let settings = LogSettings {
        logfile: config.server.logfile.clone(),
        level: config.server.loglevel,
        format: config.server.log_format,
        timestamps: config.server.log_timestamp_format,
    };
    if let Err(e) = rsentinel::logging::init(&settings) {
        eprintln!("Can't open the log file {}: {e}", config.server.logfile);
        return ExitCode::from(1);
    }
    // Taken before anything else can go wrong, and kept to the end. A
    // refusal goes to the log, as redis-sentinel's failure to bind its
    // port does (Redis's own suite starts a second sentinel on a live one's
    // config and expects nothing on stderr).
    let mut lock = match ConfigLock::acquire(&path) {
        Ok(lock) => lock,
        Err(e) => {
            tracing::warn!("{e}");
            return ExitCode::from(1);
        }
    };
    if format == config::Format::Conf {
        warn_not_acted_on(&files);
    }
    if config.server.port == 0
        && config.server.tls_settings().port == 0
        && config.server.unixsocket.is_none()
    {
        // redis-sentinel's check.
        tracing::warn!("Configured to not listen anywhere, exiting.");
        return ExitCode::from(1);
    }
    let default_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        // Into the log too: with a logfile set, stderr may not be watched.
        tracing::error!("PANIC: {info}");
        default_hook(info);
    }));
    let supervisor = Supervisor::detect(config.server.supervised);
    // As redis: a supervisor runs the process in the foreground.
    let daemon_ready = if config.server.daemonize && !supervisor.is_some() {
        match process::daemonize() {
            Ok(ready) => {
                lock.record_pid();
                Some(ready)
            }
            Err(e) => {
                tracing::warn!("Can't daemonize: {e}");
                return ExitCode::from(1);
            }
        }
    } else {
        None
    };
    if let Some(dir) = &config.server.dir
        && let Err(e) = std::env::set_current_dir(dir)
    {
        tracing::warn!("Can't chdir to '{dir}': {e}");
        return ExitCode::from(1);
    }
    // One thread, as redis-sentinel runs: the work per event is small (a
    // query, a reply from a link), so a second worker mostly adds wake-ups,
    // work stealing and cache traffic, and on a small machine it takes a
    // core from the clients. Measured with redis-benchmark -c 50 on 2 cores:
    // 10-15 % less CPU per query than two workers. Config rewrites, the one
    // blocking job, run on the blocking pool.
    let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(r) => r,
        Err(e) => {
            tracing::warn!("cannot start the runtime: {e}");
            return ExitCode::from(1);
        }
    };
    // Best effort, as redis: a pid file that cannot be written is a warning.
    let pidfile = match (&config.server.pidfile, daemon_ready.is_some()) {
        (Some(p), _) => Some(p.clone()),
        (None, true) => Some(process::DEFAULT_DAEMON_PIDFILE.to_string()),
        (None, false) => None,
    };
    let pidfile = pidfile.and_then(|p| match PidFile::write(Path::new(&p)) {
        Ok(written) => Some(written),
        Err(e) => {
            tracing::warn!("Failed to write PID file {p}: {e}");
            None
        }
    });
    let startup = Startup {
        config,
        config_path: path,
        config_text: text,
        config_format: format,
        seed: seed(),
        supervisor,
        daemon_ready,
    };
    let result = runtime.block_on(shell::run(startup));
    drop(pidfile);
    drop(lock);
    match result {
        Ok(code) => {
            tracing::warn!("Sentinel is now ready to exit, bye bye...");
            ExitCode::from(code as u8)
        }
        Err(e) => {
            tracing::warn!("Sentinel failed: {e}");
            ExitCode::from(1)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::override_lines;

    #[test]
    fn overrides_become_lines() {
        let args: Vec<String> =
            ["--port", "5000", "--sentinel", "--sentinel", "monitor", "m", "h", "1", "2"]
                .iter()
                .map(|s| s.to_string())
                .collect();
        assert_eq!(
            override_lines(&args).unwrap(),
            vec![
                vec!["port".to_string(), "5000".into()],
                vec![
                    "sentinel".into(),
                    "monitor".into(),
                    "m".into(),
                    "h".into(),
                    "1".into(),
                    "2".into()
                ]
            ]
        );
        assert!(override_lines(&["x".to_string()]).is_err());
    }
}
