//! The `rsentinel` binary: command line, config loading, logging, then the
//! shell.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Parser;
use rsentinel::config::{self, Config, Format};
use rsentinel::shell::{self, Startup};

/// A Redis Sentinel, compatible with redis-sentinel 7.0.
#[derive(Parser, Debug)]
#[command(version, about, long_about = None)]
#[command(
    after_help = "Examples:\n  rsentinel sentinel.conf\n  rsentinel sentinel.conf --port 5000\n  \
                        rsentinel sentinel.yaml --port 5000\n  \
                        rsentinel sentinel.conf --sentinel monitor mymaster 127.0.0.1 6379 2\n  \
                        rsentinel --check-config sentinel.conf"
)]
struct Cli {
    /// Validate the configuration file and exit (0 = valid, 1 = invalid).
    #[arg(long)]
    check_config: bool,
    /// The config file to load and keep up to date: a sentinel.conf, or
    /// YAML when its name ends in .yaml or .yml.
    config: Option<PathBuf>,
    /// Extra configuration lines, redis-server style: `--port 5000`,
    /// `--sentinel monitor mymaster 127.0.0.1 6379 2`.
    #[arg(trailing_var_arg = true, allow_hyphen_values = true, value_name = "--DIRECTIVE ARGS")]
    overrides: Vec<String>,
}

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
    let cli = Cli::parse();
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
    if let Err(e) = rsentinel::logging::init(&config.server.logfile, config.server.loglevel) {
        eprintln!("Can't open the log file {}: {e}", config.server.logfile);
        return ExitCode::from(1);
    }
    if format == config::Format::Conf {
        warn_not_acted_on(&files);
    }
    if config.server.port == 0 && config.server.unixsocket.is_none() {
        // redis-sentinel's check; there is no TLS port here.
        tracing::warn!("Configured to not listen anywhere, exiting.");
        return ExitCode::from(1);
    }
    let default_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        // Into the log too: with a logfile set, stderr may not be watched.
        tracing::error!("PANIC: {info}");
        default_hook(info);
    }));
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
    let pidfile = config.server.pidfile.clone();
    if let Some(pidfile) = &pidfile
        && let Err(e) = std::fs::write(pidfile, format!("{}\n", std::process::id()))
    {
        tracing::warn!("Failed to write PID file {pidfile}: {e}");
    }
    let startup = Startup {
        config,
        config_path: path,
        config_text: text,
        config_format: format,
        seed: seed(),
    };
    let result = runtime.block_on(shell::run(startup));
    if let Some(pidfile) = &pidfile {
        let _ = std::fs::remove_file(pidfile);
    }
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
