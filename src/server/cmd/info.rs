//! INFO: the server, clients, stats, cpu and sentinel sections, in
//! redis-sentinel's order and field names (exporters parse them).

use std::fmt::Write;
use std::sync::atomic::Ordering;

use bytes::Bytes;

use crate::core::View;
use crate::resp::Frame;
use crate::server::Shared;

const SECTIONS: [&str; 5] = ["server", "clients", "stats", "cpu", "sentinel"];

/// `INFO [section ...]`.
pub fn info(shared: &Shared, args: &[Bytes]) -> Frame {
    let mut wanted: Vec<&str> = Vec::new();
    if args.len() == 1 {
        wanted.extend(SECTIONS);
    }
    for a in &args[1..] {
        let a = String::from_utf8_lossy(a).to_ascii_lowercase();
        match a.as_str() {
            "default" | "all" | "everything" => wanted.extend(SECTIONS),
            s => {
                if let Some(known) = SECTIONS.iter().find(|k| **k == s) {
                    wanted.push(known);
                }
            }
        }
    }
    let view = shared.view.load();
    let mut out = String::new();
    for section in SECTIONS {
        if !wanted.contains(&section) {
            continue;
        }
        if !out.is_empty() {
            out.push_str("\r\n");
        }
        match section {
            "server" => server(shared, &mut out),
            "clients" => clients(shared, &mut out),
            "stats" => stats(shared, &mut out),
            "cpu" => cpu(&mut out),
            _ => sentinel(shared, &view, &mut out),
        }
    }
    Frame::bulk(out)
}

fn server(shared: &Shared, out: &mut String) {
    let f = &shared.facts;
    let now = unix_now();
    let uptime = now.as_secs().saturating_sub(f.started_unix);
    let _ = write!(
        out,
        "# Server\r\nredis_version:{}\r\nrsentinel_version:{}\r\nredis_git_sha1:00000000\r\nredis_git_dirty:0\r\n\
         redis_build_id:0\r\nredis_mode:sentinel\r\nos:{} {}\r\narch_bits:{}\r\nmonotonic_clock:POSIX clock_gettime\r\n\
         multiplexing_api:epoll\r\natomicvar_api:c11-builtin\r\ngcc_version:0.0.0\r\nprocess_id:{}\r\n\
         process_supervised:{}\r\nrun_id:{}\r\ntcp_port:{}\r\nserver_time_usec:{}\r\nuptime_in_seconds:{}\r\n\
         uptime_in_days:{}\r\nhz:10\r\nconfigured_hz:10\r\nlru_clock:{}\r\nexecutable:{}\r\nconfig_file:{}\r\n\
         io_threads_active:0\r\n",
        f.redis_version,
        env!("CARGO_PKG_VERSION"),
        std::env::consts::OS,
        std::env::consts::ARCH,
        usize::BITS,
        std::process::id(),
        f.supervised,
        f.run_id,
        f.port,
        now.as_micros(),
        uptime,
        uptime / 86400,
        now.as_secs() & ((1 << 24) - 1),
        f.executable,
        f.config_file,
    );
}

fn clients(shared: &Shared, out: &mut String) {
    let list = shared.clients.list();
    let _ = write!(
        out,
        "# Clients\r\nconnected_clients:{}\r\ncluster_connections:0\r\nmaxclients:{}\r\n\
         client_recent_max_input_buffer:0\r\nclient_recent_max_output_buffer:0\r\nblocked_clients:0\r\n\
         tracking_clients:0\r\nclients_in_timeout_table:0\r\n",
        list.len(),
        shared.facts.maxclients
    );
}

fn stats(shared: &Shared, out: &mut String) {
    let s = &shared.stats;
    let pubsub = shared.clients.list().iter().filter(|c| c.is_pubsub()).count();
    let _ = write!(
        out,
        "# Stats\r\ntotal_connections_received:{}\r\ntotal_commands_processed:{}\r\ninstantaneous_ops_per_sec:0\r\n\
         total_net_input_bytes:{}\r\ntotal_net_output_bytes:{}\r\nrejected_connections:{}\r\n\
         pubsub_channels:0\r\npubsub_patterns:0\r\npubsub_clients:{}\r\n",
        s.connections_received.load(Ordering::Relaxed),
        s.commands_processed.load(Ordering::Relaxed),
        s.net_input_bytes.load(Ordering::Relaxed),
        s.net_output_bytes.load(Ordering::Relaxed),
        s.rejected_connections.load(Ordering::Relaxed),
        pubsub,
    );
}

fn cpu(out: &mut String) {
    let (sys, user) = rusage(libc::RUSAGE_SELF);
    let (csys, cuser) = rusage(libc::RUSAGE_CHILDREN);
    let _ = write!(
        out,
        "# CPU\r\nused_cpu_sys:{sys:.6}\r\nused_cpu_user:{user:.6}\r\nused_cpu_sys_children:{csys:.6}\r\n\
         used_cpu_user_children:{cuser:.6}\r\nused_cpu_sys_main_thread:{sys:.6}\r\nused_cpu_user_main_thread:{user:.6}\r\n"
    );
}

fn rusage(who: libc::c_int) -> (f64, f64) {
    // SAFETY: getrusage writes a plain C struct we own; zeroed is a valid value.
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: `ru` is a valid, writable rusage.
    if unsafe { libc::getrusage(who, &mut ru) } != 0 {
        return (0.0, 0.0);
    }
    let secs = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    (secs(ru.ru_stime), secs(ru.ru_utime))
}

fn sentinel(shared: &Shared, view: &View, out: &mut String) {
    let now = shared.clock.now();
    let tilt_secs = view.tilt_since.map(|t| ((now - t).as_u64() / 1000) as i64).unwrap_or(-1);
    let _ = write!(
        out,
        "# Sentinel\r\nsentinel_masters:{}\r\nsentinel_tilt:{}\r\nsentinel_tilt_since_seconds:{}\r\n\
         sentinel_total_tilt:{}\r\nsentinel_running_scripts:{}\r\nsentinel_scripts_queue_length:{}\r\n\
         sentinel_simulate_failure_flags:{}\r\n",
        view.masters.len(),
        u8::from(view.tilt_since.is_some()),
        tilt_secs,
        view.total_tilt,
        view.running_scripts,
        view.scripts_queue_length,
        view.simulate_failure_flags,
    );
    for (i, m) in view.masters.iter().enumerate() {
        let flags = &m.instance.flags;
        let status = if flags.contains(&"o_down") {
            "odown"
        } else if flags.contains(&"s_down") {
            "sdown"
        } else {
            "ok"
        };
        let _ = write!(
            out,
            "master{i}:name={},status={status},address={}:{},slaves={},sentinels={}\r\n",
            m.instance.name,
            m.instance.addr.host,
            m.instance.addr.port,
            m.replicas.len(),
            m.sentinels.len() + 1,
        );
    }
}

fn unix_now() -> std::time::Duration {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default()
}
