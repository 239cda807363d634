//! `/metrics`: the published [`View`] and the failovers seen, in the
//! Prometheus exposition format (`prometheus-client` writes it).
//!
//! Two families of series:
//!
//! - **`redis_sentinel_*`**: the names, labels and meanings of
//!   redis_exporter's sentinel metrics (oliver006/redis_exporter,
//!   `exporter/sentinels.go`), so that dashboards and alerts written for
//!   redis_exporter in front of redis-sentinel work unchanged when rsentinel
//!   serves them itself: `redis_sentinel_master_status{master_name,
//!   master_address,master_status}` is 1 when the master's status is `ok`
//!   (as INFO's `masterN:status=`), `..._ok_sentinels` counts this sentinel
//!   plus the peers neither SDOWN nor ODOWN, `..._ckquorum_status{master_name,
//!   message}` is the verdict of `SENTINEL CKQUORUM`, asked of the core as a
//!   client would.
//! - **`rsentinel_*`**: what redis_exporter cannot see from outside:
//!   failovers started, succeeded and aborted by reason, how long the
//!   successful ones took (a histogram, from `+try-failover` to
//!   `+switch-master`) and each of their phases took (election, promotion,
//!   reconfiguration of the replicas), addresses switched, the age of each peer's last
//!   hello, replica offsets and lag, each link's last-ping-reply age,
//!   unanswered-ping age and last PING round trip, the current epoch and
//!   how often TILT was entered.
//!
//! The failover series are counted from the events the actor publishes
//! ([`Counters::count`], fed by [`count_events`]): the core stays untouched
//! and the counts say exactly what a subscriber to the event channels saw.

use std::collections::BTreeMap;
use std::sync::Mutex;

use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;
use tokio::sync::broadcast;
use tracing::warn;

use crate::core::{InstanceView, MasterView, Millis, View};
use crate::server::PubMessage;

/// A series' labels, in the order written.
type Labels = Vec<(&'static str, String)>;
/// A family of gauges with float values.
type Gauges = Family<Labels, Gauge<f64, std::sync::atomic::AtomicU64>>;
/// How a histogram of a master's failovers is made.
type MakeHistogram = fn() -> Histogram;

/// The upper bounds of the failover duration histogram, in seconds: a
/// failover takes at least `down-after-milliseconds` (not counted: it ends
/// before `+try-failover`) plus an election and a promotion (sub-second to a
/// few seconds), and at most about `failover-timeout` (3 min by default).
const FAILOVER_BUCKETS: [f64; 12] =
    [0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 20.0, 30.0, 60.0, 120.0, 180.0];

/// The `<reason>` of every `-failover-abort-<reason>` the core publishes
/// (redis-sentinel's three, then rsentinel's `coordinated` and `stuck`): a
/// monitored master has an `rsentinel_failovers_aborted_total` series at 0
/// for each from the first scrape on.
const ABORT_REASONS: [&str; 5] =
    ["not-elected", "no-good-slave", "slave-timeout", "coordinated", "stuck"];

/// What only the event stream tells: counters and the failover histogram,
/// kept for the process's life.
#[derive(Debug)]
pub struct Counters {
    /// `+try-failover`, by master.
    started: Family<Labels, Counter>,
    /// `+switch-master` after our own `+try-failover`, by master.
    succeeded: Family<Labels, Counter>,
    /// `-failover-abort-<reason>`, by master and reason.
    aborted: Family<Labels, Counter>,
    /// Every `+switch-master` (ours or learnt from a peer), by master.
    switches: Family<Labels, Counter>,
    /// Seconds from `+try-failover` to `+switch-master`, by master.
    duration: Family<Labels, Histogram, MakeHistogram>,
    /// Seconds each phase of a successful failover took, by master and
    /// phase.
    phases: Family<Labels, Histogram, MakeHistogram>,
    /// Masters with a failover of ours under way, and its marks.
    in_flight: Mutex<BTreeMap<String, Marks>>,
}

/// When a failover of ours started and reached its phases.
#[derive(Debug, Clone, Copy)]
struct Marks {
    /// `+try-failover`.
    started: Millis,
    /// `+elected-leader`.
    elected: Option<Millis>,
    /// `+promoted-slave`.
    promoted: Option<Millis>,
}

impl Default for Counters {
    fn default() -> Self {
        Counters {
            started: Family::default(),
            succeeded: Family::default(),
            aborted: Family::default(),
            switches: Family::default(),
            duration: Family::new_with_constructor(|| Histogram::new(FAILOVER_BUCKETS)),
            phases: Family::new_with_constructor(|| Histogram::new(FAILOVER_BUCKETS)),
            in_flight: Mutex::new(BTreeMap::new()),
        }
    }
}

impl Counters {
    /// Counts one published event (`channel`, `payload` as subscribers get
    /// them), seen at `now`.
    pub fn count(&self, channel: &str, payload: &str, now: Millis) {
        let Some(name) = master_of(channel, payload) else { return };
        let named = vec![("master_name", name.to_string())];
        let secs = |since: Millis| now.0.saturating_sub(since.0) as f64 / 1000.0;
        // Phases are observed when the failover succeeds, so that their
        // histogram counts the same failovers as the duration's.
        let phase = |phase: &str, from: Millis, to: Millis| {
            let labels = vec![("master_name", name.to_string()), ("phase", phase.to_string())];
            let took = to.0.saturating_sub(from.0) as f64 / 1000.0;
            self.phases.get_or_create(&labels).observe(took);
        };
        let mut in_flight = self.in_flight.lock().unwrap_or_else(|e| e.into_inner());
        match channel {
            "+try-failover" => {
                self.started.get_or_create(&named).inc();
                let marks = Marks { started: now, elected: None, promoted: None };
                in_flight.insert(name.to_string(), marks);
            }
            "+elected-leader" => {
                if let Some(m) = in_flight.get_mut(name) {
                    m.elected = Some(now);
                }
            }
            "+promoted-slave" => {
                if let Some(m) = in_flight.get_mut(name) {
                    m.promoted = Some(now);
                }
            }
            "+switch-master" => {
                self.switches.get_or_create(&named).inc();
                if let Some(m) = in_flight.remove(name) {
                    self.succeeded.get_or_create(&named).inc();
                    self.duration.get_or_create(&named).observe(secs(m.started));
                    if let (Some(elected), Some(promoted)) = (m.elected, m.promoted) {
                        phase("election", m.started, elected);
                        phase("promotion", elected, promoted);
                        phase("reconfiguration", promoted, now);
                    }
                }
            }
            _ => {
                if let Some(reason) = channel.strip_prefix("-failover-abort-") {
                    in_flight.remove(name);
                    let labels =
                        vec![("master_name", name.to_string()), ("reason", reason.to_string())];
                    self.aborted.get_or_create(&labels).inc();
                }
            }
        }
    }

    /// Makes the counters of master `name` exist, at 0 until counted.
    ///
    /// A counter series that first appears at 1 is invisible to
    /// `increase()` and `rate()` (Prometheus has no earlier sample to
    /// compare with), so an alert on `increase(..._aborted_total[10m]) > 0`
    /// would miss the first abort of each reason after every restart. The
    /// series of a master exist from the first scrape on instead.
    fn zero_for(&self, name: &str) {
        let named = vec![("master_name", name.to_string())];
        for family in [&self.started, &self.succeeded, &self.switches] {
            drop(family.get_or_create(&named));
        }
        for reason in ABORT_REASONS {
            let labels = vec![("master_name", name.to_string()), ("reason", reason.to_string())];
            drop(self.aborted.get_or_create(&labels));
        }
    }

    /// Registers the counters (shared, not copied) in `registry`.
    fn register(&self, registry: &mut Registry) {
        registry.register(
            "rsentinel_failovers_started",
            "Failovers this sentinel started (+try-failover)",
            self.started.clone(),
        );
        registry.register(
            "rsentinel_failovers_succeeded",
            "Failovers this sentinel started that reached +switch-master",
            self.succeeded.clone(),
        );
        registry.register(
            "rsentinel_failovers_aborted",
            "Failovers this sentinel started and aborted (-failover-abort-<reason>)",
            self.aborted.clone(),
        );
        registry.register(
            "rsentinel_master_switches",
            "Master address changes seen (+switch-master), by this sentinel's failovers or a peer's",
            self.switches.clone(),
        );
        registry.register(
            "rsentinel_failover_duration_seconds",
            "Seconds from +try-failover to +switch-master of the failovers this sentinel led",
            self.duration.clone(),
        );
        registry.register(
            "rsentinel_failover_phase_seconds",
            "Seconds each phase of the failovers this sentinel led took: election \
             (+try-failover to +elected-leader), promotion (to +promoted-slave), \
             reconfiguration (to +switch-master)",
            self.phases.clone(),
        );
    }
}

/// The master an event concerns: `<name>` in `master <name> <ip> <port>`
/// (`%@` of a master), in `... @ <name> <ip> <port>` (`%@` of a replica or
/// a peer), or first in `+switch-master`'s `<name> <old> <new>`. Only the
/// events [`Counters::count`] uses are looked at.
fn master_of<'a>(channel: &str, payload: &'a str) -> Option<&'a str> {
    let counted = matches!(
        channel,
        "+try-failover" | "+elected-leader" | "+promoted-slave" | "+switch-master"
    ) || channel.starts_with("-failover-abort-");
    if !counted {
        return None;
    }
    if channel == "+switch-master" {
        return payload.split(' ').next();
    }
    match payload.split_once(" @ ") {
        Some((_, master)) => master.split(' ').next(),
        None => payload.strip_prefix("master ")?.split(' ').next(),
    }
}

/// Counts the published events until the channel closes.
pub async fn count_events(
    counters: std::sync::Arc<Counters>,
    mut events: broadcast::Receiver<std::sync::Arc<PubMessage>>,
    clock: crate::clock::Clock,
) {
    loop {
        match events.recv().await {
            Ok(m) => counters.count(&m.channel, &m.payload, clock.now()),
            Err(broadcast::error::RecvError::Lagged(n)) => {
                warn!("metrics: {n} events were lost, the failover counters may be short");
            }
            Err(broadcast::error::RecvError::Closed) => return,
        }
    }
}

/// A master's `SENTINEL CKQUORUM` verdict: whether it is `OK`, and its text.
pub type CkQuorum = (bool, String);

/// The whole exposition for `view` at `now`: the view's gauges, the
/// CKQUORUM verdicts by master name, and the counters.
pub fn render(
    view: &View,
    now: Millis,
    ckquorum: &BTreeMap<String, CkQuorum>,
    counters: &Counters,
) -> String {
    let mut registry = Registry::default();
    let secs_since = |t: Millis| now.0.saturating_sub(t.0) as f64 / 1000.0;
    let mut gauge = |name: &str, help: &str, series: Vec<(Labels, f64)>| {
        let family = Gauges::default();
        for (labels, value) in series {
            family.get_or_create(&labels).set(value);
        }
        registry.register(name, help, family);
    };
    let one = |v: f64| vec![(Labels::new(), v)];

    gauge(
        "redis_sentinel_masters",
        "The number of masters this sentinel is watching",
        one(view.masters.len() as f64),
    );
    gauge(
        "redis_sentinel_tilt",
        "Sentinel is in TILT mode",
        one(f64::from(u8::from(view.tilt_since.is_some()))),
    );
    gauge(
        "redis_sentinel_running_scripts",
        "Number of scripts running",
        one(view.running_scripts as f64),
    );
    gauge(
        "redis_sentinel_scripts_queue_length",
        "Number of scripts waiting to run",
        one(view.scripts_queue_length as f64),
    );
    gauge(
        "redis_sentinel_simulate_failure_flags",
        "SENTINEL SIMULATE-FAILURE flags",
        one(f64::from(view.simulate_failure_flags)),
    );

    let masters: Vec<&MasterView> = view.masters.iter().map(|m| &**m).collect();
    let by_master = |f: &dyn Fn(&MasterView) -> f64| -> Vec<(Labels, f64)> {
        masters.iter().map(|m| (master_labels(m), f(m))).collect()
    };
    let status = masters
        .iter()
        .map(|m| {
            let s = master_status(&m.instance);
            let mut labels = master_labels(m);
            labels.push(("master_status", s.to_string()));
            (labels, f64::from(u8::from(s == "ok")))
        })
        .collect();
    gauge("redis_sentinel_master_status", "Master status on Sentinel", status);
    gauge(
        "redis_sentinel_master_slaves",
        "The number of slaves of the master",
        by_master(&|m| m.replicas.len() as f64),
    );
    gauge(
        "redis_sentinel_master_sentinels",
        "The number of sentinels monitoring this master",
        by_master(&|m| (m.sentinels.len() + 1) as f64),
    );
    gauge(
        "redis_sentinel_master_ok_slaves",
        "The number of okay slaves of the master",
        by_master(&|m| m.replicas.iter().filter(|r| is_ok(&r.instance)).count() as f64),
    );
    gauge(
        "redis_sentinel_master_ok_sentinels",
        "The number of okay sentinels monitoring this master",
        by_master(&|m| (1 + m.sentinels.iter().filter(|s| is_ok(&s.instance)).count()) as f64),
    );
    let ckq = masters
        .iter()
        .filter_map(|m| {
            let (ok, text) = ckquorum.get(&m.instance.name)?;
            let labels = vec![("master_name", m.instance.name.clone()), ("message", text.clone())];
            Some((labels, f64::from(u8::from(*ok))))
        })
        .collect();
    gauge("redis_sentinel_master_ckquorum_status", "Master ckquorum status", ckq);
    gauge(
        "redis_sentinel_master_setting_ckquorum",
        "Show the current ckquorum config for each master",
        by_master(&|m| f64::from(m.quorum)),
    );
    gauge(
        "redis_sentinel_master_setting_failover_timeout",
        "Show the current failover-timeout config for each master",
        by_master(&|m| m.failover_timeout_ms as f64),
    );
    gauge(
        "redis_sentinel_master_setting_parallel_syncs",
        "Show the current parallel-syncs config for each master",
        by_master(&|m| f64::from(m.parallel_syncs)),
    );
    gauge(
        "redis_sentinel_master_setting_down_after_milliseconds",
        "Show the current down-after-milliseconds config for each master",
        by_master(&|m| m.instance.down_after_ms as f64),
    );
    gauge(
        "redis_sentinel_master_config_epoch",
        "Master config epoch",
        by_master(&|m| m.config_epoch.0 as f64),
    );
    gauge(
        "redis_sentinel_master_last_ok_ping_reply_seconds",
        "Seconds since the master's last valid PING reply",
        by_master(&|m| secs_since(m.instance.last_ok_ping_reply)),
    );

    // rsentinel's own.
    gauge("rsentinel_current_epoch", "The current epoch", one(view.current_epoch.0 as f64));
    gauge(
        "rsentinel_tilt_entered",
        "Times TILT was entered since start",
        one(view.total_tilt as f64),
    );
    gauge(
        "rsentinel_master_failover_in_progress",
        "1 while a failover of this master runs here",
        by_master(&|m| f64::from(u8::from(m.failover_state.is_some()))),
    );
    let mut hello_age = Vec::new();
    let (mut ping_reply_age, mut ping_pending_age, mut rtt) = (Vec::new(), Vec::new(), Vec::new());
    let (mut offsets, mut lags, mut link_down) = (Vec::new(), Vec::new(), Vec::new());
    for m in &masters {
        let master_offset = m.instance.info.as_deref().and_then(master_repl_offset);
        let mut link = |role: &'static str, i: &InstanceView| {
            let labels = vec![
                ("master_name", m.instance.name.clone()),
                ("role", role.to_string()),
                ("address", host_port(&i.addr)),
            ];
            ping_reply_age.push((labels.clone(), secs_since(i.last_ping_reply)));
            if let Some(took) = i.ping_rtt {
                rtt.push((labels.clone(), took.0 as f64 / 1000.0));
            }
            ping_pending_age.push((labels, i.ping_pending_since.map_or(0.0, secs_since)));
        };
        link("master", &m.instance);
        for r in &m.replicas {
            link("replica", &r.instance);
            let labels = vec![
                ("master_name", m.instance.name.clone()),
                ("replica_address", host_port(&r.instance.addr)),
            ];
            offsets.push((labels.clone(), r.repl_offset as f64));
            if let Some(master) = master_offset {
                lags.push((labels.clone(), master.saturating_sub(r.repl_offset) as f64));
            }
            let down = if r.master_link_up { 0.0 } else { r.master_link_down_ms as f64 / 1000.0 };
            link_down.push((labels, down));
        }
        for s in &m.sentinels {
            link("sentinel", &s.instance);
            if let Some(at) = s.last_hello {
                let labels = vec![
                    ("master_name", m.instance.name.clone()),
                    ("peer_runid", s.instance.name.clone()),
                    ("peer_address", host_port(&s.instance.addr)),
                ];
                hello_age.push((labels, secs_since(at)));
            }
        }
    }
    gauge(
        "rsentinel_peer_hello_age_seconds",
        "Seconds since the peer's last hello about this master",
        hello_age,
    );
    gauge(
        "rsentinel_link_last_ping_reply_age_seconds",
        "Seconds since the instance last answered a PING (any reply)",
        ping_reply_age,
    );
    gauge(
        "rsentinel_link_ping_pending_seconds",
        "Age of the oldest unanswered PING to the instance (0: none pending)",
        ping_pending_age,
    );
    gauge(
        "rsentinel_link_ping_rtt_seconds",
        "Round trip of the last PING the instance answered (millisecond resolution)",
        rtt,
    );
    gauge("rsentinel_replica_repl_offset", "The replica's slave_repl_offset", offsets);
    gauge(
        "rsentinel_replica_lag_bytes",
        "The master's master_repl_offset minus the replica's, both from their last INFO",
        lags,
    );
    gauge(
        "rsentinel_replica_master_link_down_seconds",
        "Seconds the replica reports its link to the master down (0: up)",
        link_down,
    );
    for m in &masters {
        counters.zero_for(&m.instance.name);
    }
    counters.register(&mut registry);

    let mut out = String::new();
    // Writing to a String does not fail.
    let _ = encode(&mut out, &registry);
    out
}

/// The labels redis_exporter puts on a master's series.
fn master_labels(m: &MasterView) -> Labels {
    vec![("master_name", m.instance.name.clone()), ("master_address", host_port(&m.instance.addr))]
}

/// `host:port`, as redis_exporter writes an address (and INFO's
/// `masterN:address=`).
pub fn host_port(a: &crate::ids::Addr) -> String {
    format!("{}:{}", a.host, a.port)
}

/// INFO's `masterN:status=`: `odown`, `sdown` or `ok`.
fn master_status(i: &InstanceView) -> &'static str {
    if i.flags.contains(&"o_down") {
        "odown"
    } else if i.flags.contains(&"s_down") {
        "sdown"
    } else {
        "ok"
    }
}

/// Neither SDOWN nor ODOWN (redis_exporter's "ok" replica or sentinel).
fn is_ok(i: &InstanceView) -> bool {
    !i.flags.iter().any(|f| *f == "s_down" || *f == "o_down")
}

/// `master_repl_offset` from a master's INFO text.
fn master_repl_offset(info: &str) -> Option<u64> {
    info.lines().find_map(|l| l.strip_prefix("master_repl_offset:")?.trim().parse().ok())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::{ReplicaView, SentinelView};
    use std::sync::Arc;

    fn sample() -> View {
        let mut view = View::default();
        let mut m = MasterView::default();
        m.instance.name = "mymaster".into();
        m.instance.addr = crate::ids::Addr { host: "10.0.0.1".into(), port: 6379 };
        m.instance.flags = vec!["master"];
        m.instance.ping_rtt = Some(Millis(4));
        m.instance.info = Some("# Replication\r\nmaster_repl_offset:1000\r\n".into());
        m.quorum = 2;
        let mut r = ReplicaView::default();
        r.instance.addr = crate::ids::Addr { host: "10.0.0.2".into(), port: 6379 };
        r.instance.flags = vec!["slave"];
        r.repl_offset = 900;
        r.master_link_up = true;
        m.replicas.push(r);
        for (id, down) in [("a", false), ("b", true)] {
            let mut s = SentinelView::default();
            s.instance.name = id.repeat(40);
            s.instance.flags = if down { vec!["s_down", "sentinel"] } else { vec!["sentinel"] };
            s.last_hello = Some(Millis(7000));
            m.sentinels.push(s);
        }
        view.masters.insert("mymaster".into(), Arc::new(m));
        view
    }

    #[test]
    fn exporter_series_carry_its_names_labels_and_values() {
        let ckq = BTreeMap::from([("mymaster".to_string(), (true, "OK 2 usable".to_string()))]);
        let text = render(&sample(), Millis(10_000), &ckq, &Counters::default());
        for line in [
            "redis_sentinel_masters 1.0",
            "redis_sentinel_master_status{master_name=\"mymaster\",master_address=\"10.0.0.1:6379\",master_status=\"ok\"} 1.0",
            "redis_sentinel_master_slaves{master_name=\"mymaster\",master_address=\"10.0.0.1:6379\"} 1.0",
            "redis_sentinel_master_sentinels{master_name=\"mymaster\",master_address=\"10.0.0.1:6379\"} 3.0",
            "redis_sentinel_master_ok_sentinels{master_name=\"mymaster\",master_address=\"10.0.0.1:6379\"} 2.0",
            "redis_sentinel_master_ok_slaves{master_name=\"mymaster\",master_address=\"10.0.0.1:6379\"} 1.0",
            "redis_sentinel_master_ckquorum_status{master_name=\"mymaster\",message=\"OK 2 usable\"} 1.0",
            "rsentinel_replica_lag_bytes{master_name=\"mymaster\",replica_address=\"10.0.0.2:6379\"} 100.0",
            "rsentinel_peer_hello_age_seconds{master_name=\"mymaster\",peer_runid=\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\",peer_address=\":0\"} 3.0",
            "rsentinel_link_ping_rtt_seconds{master_name=\"mymaster\",role=\"master\",address=\"10.0.0.1:6379\"} 0.004",
        ] {
            assert!(text.lines().any(|l| l == line), "missing {line:?} in\n{text}");
        }
    }

    #[test]
    fn failovers_are_counted_from_events_with_their_duration() {
        let c = Counters::default();
        c.count("+try-failover", "master m 127.0.0.1 6379", Millis(1000));
        c.count("+elected-leader", "master m 127.0.0.1 6379", Millis(1200));
        c.count(
            "+promoted-slave",
            "slave 127.0.0.1:6380 127.0.0.1 6380 @ m 127.0.0.1 6379",
            Millis(2000),
        );
        c.count("+switch-master", "m 127.0.0.1 6379 127.0.0.1 6380", Millis(3500));
        c.count("+try-failover", "master m 127.0.0.1 6380", Millis(5000));
        c.count("-failover-abort-not-elected", "master m 127.0.0.1 6380", Millis(6000));
        // A switch learnt from a peer: a switch, not a success of ours.
        c.count("+switch-master", "m 127.0.0.1 6380 127.0.0.1 6381", Millis(9000));
        let text = render(&View::default(), Millis(9000), &BTreeMap::new(), &c);
        for line in [
            "rsentinel_failovers_started_total{master_name=\"m\"} 2",
            "rsentinel_failovers_succeeded_total{master_name=\"m\"} 1",
            "rsentinel_failovers_aborted_total{master_name=\"m\",reason=\"not-elected\"} 1",
            "rsentinel_master_switches_total{master_name=\"m\"} 2",
            "rsentinel_failover_duration_seconds_sum{master_name=\"m\"} 2.5",
            "rsentinel_failover_duration_seconds_count{master_name=\"m\"} 1",
            "rsentinel_failover_duration_seconds_bucket{le=\"5.0\",master_name=\"m\"} 1",
            "rsentinel_failover_phase_seconds_sum{master_name=\"m\",phase=\"election\"} 0.2",
            "rsentinel_failover_phase_seconds_sum{master_name=\"m\",phase=\"promotion\"} 0.8",
            "rsentinel_failover_phase_seconds_sum{master_name=\"m\",phase=\"reconfiguration\"} 1.5",
            "rsentinel_failover_phase_seconds_count{master_name=\"m\",phase=\"election\"} 1",
        ] {
            assert!(text.lines().any(|l| l == line), "missing {line:?} in\n{text}");
        }
    }

    #[test]
    fn a_monitored_masters_counters_exist_at_zero_before_any_failover() {
        let c = Counters::default();
        let text = render(&sample(), Millis(10_000), &BTreeMap::new(), &c);
        for line in [
            "rsentinel_failovers_started_total{master_name=\"mymaster\"} 0",
            "rsentinel_failovers_succeeded_total{master_name=\"mymaster\"} 0",
            "rsentinel_master_switches_total{master_name=\"mymaster\"} 0",
            "rsentinel_failovers_aborted_total{master_name=\"mymaster\",reason=\"not-elected\"} 0",
            "rsentinel_failovers_aborted_total{master_name=\"mymaster\",reason=\"no-good-slave\"} 0",
            "rsentinel_failovers_aborted_total{master_name=\"mymaster\",reason=\"stuck\"} 0",
        ] {
            assert!(text.lines().any(|l| l == line), "missing {line:?} in\n{text}");
        }
        // Counted later, the same series goes on from 0.
        c.count("+try-failover", "master mymaster 10.0.0.1 6379", Millis(11_000));
        c.count("-failover-abort-not-elected", "master mymaster 10.0.0.1 6379", Millis(12_000));
        let text = render(&sample(), Millis(13_000), &BTreeMap::new(), &c);
        let aborted =
            "rsentinel_failovers_aborted_total{master_name=\"mymaster\",reason=\"not-elected\"} 1";
        assert!(text.lines().any(|l| l == aborted), "{text}");
    }
}
