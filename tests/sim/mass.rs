//! Many masters failing at once: a host that runs several masters dies.
//!
//! The current epoch is one per sentinel, shared by all its masters, while
//! votes are per master. When every master fails in the same instant, every
//! sentinel starts one failover per master within milliseconds. Before rules
//! 8 and 9 of `src/core/election.rs`, each start raised the epoch, which
//! moved every other waiting election on to the new epoch (rule 2): epochs
//! raced ahead, elections were lost and retried, and an election moved to a
//! newer epoch could be won while the first winner was already promoting,
//! so one master had two leaders. Rule 10 (turns per master) then made one
//! sentinel start each master's failover instead of all of them. The world
//! of `election.rs` monitors one master and cannot show it; this one
//! monitors [`Trial::masters`] of them.
//!
//! The scenario is `election.rs`'s with M masters of one replica each:
//! three sentinels (quorum 2) or five (quorum 3), down-after 5 s,
//! failover-timeout 60 s, timers up to 2 ms late, boots in phase (within
//! 11 ms) or anywhere in the first 2 s, one-way delays of 0–1 or 0–5 ms, and
//! every master failing in one instant at 15–17 s, all paused or all killed.
//! A seed passes when, besides every safety invariant after every step:
//!
//! - every sentinel emitted `+switch-master` for every master within
//!   down-after + [`MASS_BOUND_MS`] of the failure;
//! - every master's replica is a master;
//! - for every master, at most one sentinel emitted `+elected-leader` after
//!   the failure: two leaders in two epochs break no per-epoch invariant,
//!   but both promote a replica;
//! - no sentinel's current epoch went past [`MASS_EPOCH_BOUND`].
//!
//! Each seed also reports the highest current epoch of the fleet and the
//! number of `+try-failover` and `+elected-leader` per master.
//!
//! - `mass_failure` (CI): every cell of the matrix (fleet size × delay ×
//!   phase × failure) with `SIM_MASS_MASTERS` masters (default
//!   [`CI_MASTERS`]), [`CI_SEEDS`] seeds per cell (or `SIM_SEEDS`);
//! - `mass_regressions` (CI): seeds that gave a master two leaders with the
//!   core before rules 8 and 9;
//! - `mass_sweep`: with `SIM_MASS_SWEEP=1`, the matrix over `SIM_SEEDS`
//!   seeds per cell (default 100) for each masters count of
//!   `SIM_MASS_MASTERS` (a comma list, default `8`); prints a table. Run it
//!   with `SIM_MASS_SWEEP=1 cargo test --release --test sim mass_sweep -- --nocapture`.
//!   `SIM_MASS_VERBOSE=1` prints every seed: highest epoch, switch time,
//!   `+try-failover` and `+elected-leader` per master, and why it failed.

use rsentinel::core::{Event, Millis, Sentinel};

use crate::election::{Failure, LIVENESS_BOUND_MS, Phase, pct, percentile};
use crate::net::NodeId;
use crate::redis::RedisRole;
use crate::world::{Fault, Params, World, master_name};

/// The most the last `+switch-master` (of every master, on every
/// sentinel) may come after the failure, beyond down-after.
///
/// The same bound as one master's ([`LIVENESS_BOUND_MS`], DESIGN 7): many
/// masters failing together must not make any of them slower. The sweep
/// (release, 100 seeds in each of the 16 cells with 8 masters; 20 seeds in
/// the first three 3-sentinel cells with 30 masters) saw the last switch
/// 4.5 s after the failure at the median (SDOWN counts from the last PING
/// answered, up to a PING period before the failure) and down-after + 95 ms
/// at worst, with every master elected in the first round. A lost round
/// costs 2 × failover-timeout (two minutes here), so the bound cannot
/// mistake one for the other, and leaves 1.4 s for timer phases the sweep
/// did not draw.
pub const MASS_BOUND_MS: u64 = LIVENESS_BOUND_MS;

/// Masters in the CI test: enough that each sentinel runs several
/// elections in one instant, few enough for the debug build (16 cells of
/// 4 masters take ~20 s there, 8 masters ~4 s a run).
pub const CI_MASTERS: usize = 4;

/// Seeds per cell in the CI test.
pub const CI_SEEDS: u64 = 1;

/// The highest current epoch any sentinel may reach.
///
/// The sweep (8 masters, 100 seeds in each of the 16 cells) ended in epoch 1
/// in every world: every failover took the fleet's first epoch (rule 9) and
/// was elected in the first round. One more allows a second candidate of
/// one master, which takes a new epoch because that master already had an
/// election in the first. Before rules 8–10 every start raised the epoch:
/// the fleet reached several epochs per master.
pub const MASS_EPOCH_BOUND: u64 = 2;

/// How long the world keeps running after the last `+switch-master`, to
/// catch a late second leader.
const SETTLE_MS: u64 = 5000;

/// One cell of the matrix.
#[derive(Debug, Clone, Copy)]
pub struct Trial {
    pub sentinels: usize,
    /// Masters, one replica each; all fail at once.
    pub masters: usize,
    /// One-way delays are drawn from `0..=max_delay_ms`.
    pub max_delay_ms: u64,
    pub phase: Phase,
    pub failure: Failure,
}

impl Trial {
    fn label(&self) -> String {
        format!(
            "{} sentinels, {} masters, delay 0–{} ms, {:?}, {:?}",
            self.sentinels, self.masters, self.max_delay_ms, self.phase, self.failure
        )
    }
}

/// 3 and 5 sentinels, one-way delays up to 1 and 5 ms, in-phase and
/// random-phase boots, pause and kill, with `masters` masters.
pub fn matrix(masters: usize) -> Vec<Trial> {
    let mut v = Vec::new();
    for sentinels in [3, 5] {
        for max_delay_ms in [1, 5] {
            for phase in [Phase::InPhase, Phase::Random] {
                for failure in [Failure::Pause, Failure::Kill] {
                    v.push(Trial { sentinels, masters, max_delay_ms, phase, failure });
                }
            }
        }
    }
    v
}

/// What one master went through after the failure.
#[derive(Debug, Clone, Default)]
pub struct MasterOutcome {
    /// `+try-failover` events, all sentinels together.
    pub tries: usize,
    /// `+elected-leader` events, all sentinels together.
    pub elected: usize,
    /// Sentinels that emitted `+elected-leader`.
    pub leaders: usize,
    /// ms from the failure until every sentinel emitted `+switch-master`.
    pub switch_ms: Option<u64>,
}

/// What one seed showed.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub seed: u64,
    /// The highest current epoch of any running sentinel at the end.
    pub max_epoch: u64,
    /// Per master, in group order.
    pub masters: Vec<MasterOutcome>,
    /// ms from the failure until every sentinel switched every master.
    pub switch_ms: Option<u64>,
    /// A safety violation or harness error.
    pub error: Option<String>,
    /// Liveness or one-leader broken: why.
    pub liveness: Option<String>,
    /// The end of the trace, when something failed.
    pub trace: String,
}

fn env_u64(k: &str, d: u64) -> u64 {
    std::env::var(k).ok().and_then(|v| v.parse().ok()).unwrap_or(d)
}

/// `election.rs`'s parameters with `t.masters` masters of one replica.
fn params(seed: u64, t: &Trial) -> Params {
    let one = crate::election::Trial {
        sentinels: t.sentinels,
        replicas: 1,
        max_delay_ms: t.max_delay_ms,
        phase: t.phase,
        failure: t.failure,
        desync_ms: None,
    };
    let mut p = crate::election::params(seed, &one);
    p.masters = t.masters;
    p
}

/// Fails every master at one instant and follows the fleet until every
/// sentinel switched every master (then [`SETTLE_MS`] more), or until a
/// deadline that leaves room for a retry after a lost round.
pub fn run(seed: u64, t: &Trial) -> Outcome {
    let p = params(seed, t);
    let (n, m) = (p.sentinels, p.masters);
    let down_after = p.down_after_ms;
    let give_up = p.down_after_ms + 2 * p.failover_timeout_ms + 20_000;
    let names: Vec<String> = (0..m).map(master_name).collect();
    let mut w = World::<Sentinel>::new(p);
    let fail_at = Millis(15_000 + w.net.below(2000));
    for g in 0..m {
        let node = NodeId::Redis(w.params.master_node(g));
        let fault = match t.failure {
            Failure::Pause => Fault::Pause(node),
            Failure::Kill => Fault::Kill(node),
        };
        w.schedule(fail_at, fault);
    }
    let mut end = fail_at + Millis(give_up);
    let mut error = None;
    // switched[g][i]: when sentinel i switched master g.
    let mut switched = vec![vec![None; n]; m];
    let mut seen = 0;
    while w.now < end {
        if let Err(e) = w.run_for(250) {
            error = Some(e);
            break;
        }
        for &(at, i, ref e) in &w.events[seen..] {
            if let Event::SwitchMaster { master, .. } = e
                && at >= fail_at
                && let Some(g) = names.iter().position(|n| *n == master.name)
            {
                switched[g][i].get_or_insert(at);
            }
        }
        seen = w.events.len();
        let all = switched.iter().flatten().all(Option::is_some);
        if all && end > w.now + Millis(SETTLE_MS) {
            end = w.now + Millis(SETTLE_MS);
        }
    }
    let masters: Vec<MasterOutcome> = names
        .iter()
        .zip(&switched)
        .map(|(name, sw)| master_outcome(&w, fail_at, name, sw))
        .collect();
    let switch_ms = masters.iter().map(|o| o.switch_ms).collect::<Option<Vec<u64>>>();
    let switch_ms = switch_ms.map(|v| v.into_iter().max().unwrap_or(0));
    let mut broken = Vec::new();
    match switch_ms {
        None => {
            let late = masters.iter().filter(|o| o.switch_ms.is_none()).count();
            broken.push(format!("{late} of {m} masters not switched on every sentinel"));
        }
        Some(ms) if ms > down_after + MASS_BOUND_MS => broken.push(format!(
            "+switch-master everywhere {ms} ms after the failure (bound: down-after + {MASS_BOUND_MS})"
        )),
        Some(_) => {}
    }
    let unpromoted = (0..m)
        .filter(|&g| w.redis[w.params.master_node(g) + 1].redis.role != RedisRole::Master)
        .count();
    if unpromoted > 0 {
        broken.push(format!("{unpromoted} of {m} replicas not master"));
    }
    let two = masters.iter().filter(|o| o.leaders > 1).count();
    if two > 0 {
        broken.push(format!("{two} of {m} masters with more than one elected leader"));
    }
    let max_epoch = (0..n).filter_map(|i| w.view(i)).map(|v| v.current_epoch.as_u64()).max();
    if let Some(e) = max_epoch.filter(|&e| e > MASS_EPOCH_BOUND) {
        broken.push(format!("the fleet reached epoch {e} (bound: {MASS_EPOCH_BOUND})"));
    }
    let failed = error.is_some() || !broken.is_empty();
    let lines = env_u64("SIM_TRACE", 80) as usize;
    Outcome {
        seed,
        max_epoch: max_epoch.unwrap_or(0),
        masters,
        switch_ms,
        error,
        liveness: (!broken.is_empty()).then(|| broken.join("; ")),
        trace: if failed { w.trace_tail(lines) } else { String::new() },
    }
}

/// Counts one master's tries and leaders after `fail_at`.
fn master_outcome(
    w: &World<Sentinel>,
    fail_at: Millis,
    name: &str,
    switched: &[Option<Millis>],
) -> MasterOutcome {
    let mut o = MasterOutcome::default();
    let mut leaders = Vec::new();
    for (_, i, e) in w.events.iter().filter(|(at, ..)| *at >= fail_at) {
        match e {
            Event::TryFailover(r) if r.name == name => o.tries += 1,
            Event::ElectedLeader(r) if r.name == name => {
                o.elected += 1;
                leaders.push(*i);
            }
            _ => {}
        }
    }
    leaders.sort_unstable();
    leaders.dedup();
    o.leaders = leaders.len();
    let all = switched.iter().copied().collect::<Option<Vec<Millis>>>();
    o.switch_ms = all.and_then(|v| v.into_iter().max()).map(|at| (at - fail_at).as_u64());
    o
}

/// Runs `seeds` of trial `t` on `SIM_THREADS` threads (default: all cores).
pub fn run_many(seeds: &[u64], t: &Trial) -> Vec<Outcome> {
    super::par_seeds(seeds, |seed| run(seed, t))
}

/// The first failed seed of `v`, as a report that says how to replay it.
fn first_failure(t: &Trial, v: &[Outcome]) -> Option<String> {
    let o = v.iter().find(|o| o.error.is_some() || o.liveness.is_some())?;
    let why = o.error.as_deref().or(o.liveness.as_deref()).unwrap_or_default();
    Some(format!(
        "{}: seed {}: {why}\nreplay: SIM_SEED={} SIM_MASS_MASTERS={} cargo test --release --test sim mass_failure -- --nocapture\n--- trace ---\n{}",
        t.label(),
        o.seed,
        o.seed,
        t.masters,
        o.trace
    ))
}

/// The masters counts of `SIM_MASS_MASTERS` (a comma list), else `default`.
fn masters_counts(default: usize) -> Vec<usize> {
    std::env::var("SIM_MASS_MASTERS")
        .ok()
        .map(|s| s.split(',').filter_map(|x| x.trim().parse().ok()).collect())
        .filter(|v: &Vec<usize>| !v.is_empty())
        .unwrap_or_else(|| vec![default])
}

/// CI: every master switched once, by one leader, within the fleet's epoch
/// bound, for every seed of every cell.
#[test]
fn mass_failure() {
    let seeds = super::seeds(CI_SEEDS);
    let mut failures = Vec::new();
    for masters in masters_counts(CI_MASTERS) {
        for t in matrix(masters) {
            if let Some(f) = first_failure(&t, &run_many(&seeds, &t)) {
                failures.push(f);
            }
        }
    }
    assert!(failures.is_empty(), "{} cell(s) failed:\n{}", failures.len(), failures.join("\n\n"));
}

/// Seeds that gave one master two elected leaders with the core before
/// rules 8 and 9 (d6dd29f), 8 masters each: a failover start raised the
/// epoch, a waiting election moved to it (rule 2) and was won by a second
/// sentinel while the first promoted. Each one passes now.
const REGRESSIONS: [(Trial, u64); 3] = [
    (
        Trial {
            sentinels: 3,
            masters: 8,
            max_delay_ms: 5,
            phase: Phase::InPhase,
            failure: Failure::Kill,
        },
        8,
    ),
    (
        Trial {
            sentinels: 5,
            masters: 8,
            max_delay_ms: 5,
            phase: Phase::InPhase,
            failure: Failure::Pause,
        },
        13,
    ),
    (
        Trial {
            sentinels: 5,
            masters: 8,
            max_delay_ms: 5,
            phase: Phase::Random,
            failure: Failure::Pause,
        },
        19,
    ),
];

/// CI: the regression seeds.
#[test]
fn mass_regressions() {
    let failures: Vec<String> = std::thread::scope(|scope| {
        let runs: Vec<_> = REGRESSIONS
            .iter()
            .map(|(t, seed)| scope.spawn(move || first_failure(t, &[run(*seed, t)])))
            .collect();
        runs.into_iter().filter_map(|h| h.join().expect("regression run")).collect()
    });
    assert!(failures.is_empty(), "regression(s):\n{}", failures.join("\n\n"));
}

/// The sweep behind `SIM_MASS_SWEEP=1`: prints the table.
#[test]
fn mass_sweep() {
    if !std::env::var("SIM_MASS_SWEEP").is_ok_and(|v| !v.is_empty() && v != "0") {
        eprintln!("mass_sweep: set SIM_MASS_SWEEP=1 to run it");
        return;
    }
    let seeds = super::seeds(100);
    let verbose = std::env::var("SIM_MASS_VERBOSE").is_ok();
    println!(
        "\n{} seeds per row; every master fails at 15–17 s; down-after 5 s, failover-timeout 60 s; bound down-after + {MASS_BOUND_MS} ms\n",
        seeds.len()
    );
    println!(
        "| sentinels | masters | delay | boots | failure | all switched | median ms | p99 ms | max ms | epoch p50 | epoch max | tries/master mean | tries/master max | elected/master max | >1 leader (masters) | broken | violations |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|");
    let (mut total, mut failed, mut notes) = (0, 0, Vec::new());
    for masters in masters_counts(8) {
        for t in matrix(masters) {
            let v = run_many(&seeds, &t);
            let mut times: Vec<u64> = v.iter().filter_map(|o| o.switch_ms).collect();
            times.sort_unstable();
            let mut epochs: Vec<u64> = v.iter().map(|o| o.max_epoch).collect();
            epochs.sort_unstable();
            let per_master: Vec<&MasterOutcome> = v.iter().flat_map(|o| &o.masters).collect();
            let tries: usize = per_master.iter().map(|o| o.tries).sum();
            let broken: Vec<u64> =
                v.iter().filter(|o| o.liveness.is_some()).map(|o| o.seed).collect();
            let errors: Vec<u64> = v.iter().filter(|o| o.error.is_some()).map(|o| o.seed).collect();
            total += v.len();
            failed += v.iter().filter(|o| o.liveness.is_some() || o.error.is_some()).count();
            println!(
                "| {} | {} | 0–{} ms | {:?} | {:?} | {:.1} % | {} | {} | {} | {} | {} | {:.2} | {} | {} | {} | {} | {} |",
                t.sentinels,
                t.masters,
                t.max_delay_ms,
                t.phase,
                t.failure,
                pct(times.len(), v.len()),
                percentile(&times, 0.5),
                percentile(&times, 0.99),
                times.last().copied().unwrap_or(0),
                percentile(&epochs, 0.5),
                epochs.last().copied().unwrap_or(0),
                tries as f64 / per_master.len().max(1) as f64,
                per_master.iter().map(|o| o.tries).max().unwrap_or(0),
                per_master.iter().map(|o| o.elected).max().unwrap_or(0),
                per_master.iter().filter(|o| o.leaders > 1).count(),
                broken.len(),
                errors.len(),
            );
            if !broken.is_empty() || !errors.is_empty() {
                let head = |s: &[u64]| s.iter().take(10).copied().collect::<Vec<_>>();
                notes.push(format!(
                    "{}: broken for seeds {:?}, violations {:?}",
                    t.label(),
                    head(&broken),
                    head(&errors)
                ));
            }
            if verbose {
                for o in &v {
                    let why = o.error.as_deref().or(o.liveness.as_deref()).unwrap_or("ok");
                    let tries: Vec<usize> = o.masters.iter().map(|m| m.tries).collect();
                    let elected: Vec<usize> = o.masters.iter().map(|m| m.elected).collect();
                    notes.push(format!(
                        "  {} seed {}: epoch {}, switched in {:?} ms, tries {tries:?}, elected {elected:?}: {why}",
                        t.label(),
                        o.seed,
                        o.max_epoch,
                        o.switch_ms
                    ));
                }
            }
        }
    }
    for n in &notes {
        println!("{n}");
    }
    println!("\n{total} runs, {failed} failed");
}
