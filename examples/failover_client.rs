//! A client that follows the master through failovers, by asking the
//! sentinels where it is.
//!
//! ```text
//! cargo run --example failover_client -- \
//!     --sentinels 127.0.0.1:5000,127.0.0.1:5001,127.0.0.1:5002 --master mymaster
//! ```
//!
//! Every 100 ms it runs `INCR rsentinel:counter` on the current master. On
//! any error (the master died, or was demoted and answers `READONLY`) it
//! prints the error and asks the sentinels again until they name a master
//! that says it is one; it also re-asks every second, so a switch is seen
//! even when no write failed. Each switch is printed as
//! `master is now 127.0.0.1:6380`. Stop it with Ctrl-C.
//!
//! Works against rsentinel and redis-sentinel alike: it only uses
//! `SENTINEL get-master-addr-by-name` (through the `redis` crate's
//! `sentinel` support) and `ROLE` on the master.

use std::process::ExitCode;
use std::thread::sleep;
use std::time::{Duration, Instant};

use redis::sentinel::Sentinel;
use redis::{Commands, Connection, RedisResult};

/// Pause between writes.
const WRITE_EVERY: Duration = Duration::from_millis(100);
/// How often the sentinels are asked again while writes succeed.
const RECHECK_EVERY: Duration = Duration::from_secs(1);
/// Connect and command timeout towards the master.
const TIMEOUT: Duration = Duration::from_secs(1);
/// The key incremented.
const KEY: &str = "rsentinel:counter";

/// Command-line options.
struct Options {
    /// Sentinel addresses, `host:port`.
    sentinels: Vec<String>,
    /// The monitored master's name.
    master: String,
}

fn parse_args() -> Result<Options, String> {
    let mut sentinels =
        vec!["127.0.0.1:5000".to_string(), "127.0.0.1:5001".into(), "127.0.0.1:5002".into()];
    let mut master = "mymaster".to_string();
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = || args.next().ok_or_else(|| format!("{arg} needs a value"));
        match arg.as_str() {
            "--sentinels" => {
                sentinels = value()?.split(',').map(|s| s.trim().to_string()).collect()
            }
            "--master" => master = value()?,
            "-h" | "--help" => {
                return Err(
                    "usage: failover_client [--sentinels h:p,h:p,...] [--master name]".into()
                );
            }
            other => return Err(format!("unknown argument '{other}' (try --help)")),
        }
    }
    if sentinels.iter().any(String::is_empty) {
        return Err("--sentinels: empty address".into());
    }
    Ok(Options { sentinels, master })
}

/// Asks the sentinels for the master; returns its address and a connection
/// to it. The `redis` crate tries each sentinel in turn and checks with
/// `ROLE` that the node it names really is a master.
fn find_master(sentinel: &mut Sentinel, name: &str) -> RedisResult<(String, Connection)> {
    let client = sentinel.master_for(name, None)?;
    let addr = client.get_connection_info().addr().to_string();
    let conn = client.get_connection_with_timeout(TIMEOUT)?;
    conn.set_read_timeout(Some(TIMEOUT))?;
    conn.set_write_timeout(Some(TIMEOUT))?;
    Ok((addr, conn))
}

fn main() -> ExitCode {
    let options = match parse_args() {
        Ok(o) => o,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    let urls: Vec<String> = options.sentinels.iter().map(|s| format!("redis://{s}")).collect();
    let mut sentinel = match Sentinel::build(urls) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("bad sentinel address: {e}");
            return ExitCode::from(2);
        }
    };
    println!("asking {} for master '{}'", options.sentinels.join(", "), options.master);
    let mut current: Option<String> = None;
    loop {
        let (addr, mut conn) = match find_master(&mut sentinel, &options.master) {
            Ok(found) => found,
            Err(e) => {
                eprintln!("no master yet: {e}");
                sleep(Duration::from_millis(500));
                continue;
            }
        };
        if current.as_deref() != Some(addr.as_str()) {
            println!("master is now {addr}");
            current = Some(addr.clone());
        }
        let checked = Instant::now();
        // Write until an error, or until it is time to ask the sentinels again.
        while checked.elapsed() < RECHECK_EVERY {
            match conn.incr::<_, _, i64>(KEY, 1) {
                Ok(n) => println!("{KEY} = {n} (on {addr})"),
                Err(e) => {
                    eprintln!("write error on {addr}: {e}");
                    break;
                }
            }
            sleep(WRITE_EVERY);
        }
    }
}
