//! Replica selection (spec §7.4): which replicas may be promoted, best
//! first. SENTINEL FAILOVER refuses with NOGOODSLAVE when none may.

use std::cmp::Ordering;

use super::instance::{Master, Replica};
use super::timer::{Millis, Periods};
use crate::config::MasterConfig;

/// Whether `r` may be promoted now: not SDOWN, connected, answered PING
/// within 5 ping periods, priority not 0, INFO fresh enough (5 s while the
/// master is SDOWN, else 3 INFO periods), and its master link not down for
/// longer than the master has been SDOWN plus 10 × down-after.
fn is_candidate(
    mc: &MasterConfig,
    master: &Master,
    r: &Replica,
    now: Millis,
    periods: &Periods,
) -> bool {
    if r.mon.sdown_since.is_some() || r.mon.is_disconnected() || r.priority == 0 {
        return false;
    }
    if now - r.mon.cmd.last_avail > Millis(5 * periods.ping().0) {
        return false;
    }
    let info_validity = match master.mon.sdown_since {
        Some(_) => Millis(5 * periods.ping().0),
        None => Millis(3 * periods.info().0),
    };
    if r.mon.info_refresh.is_none_or(|t| now - t > info_validity) {
        return false;
    }
    let sdown_for = master.mon.sdown_since.map_or(Millis::ZERO, |t| now - t);
    let max_link_down = sdown_for + Millis(mc.down_after_ms * 10);
    r.master_link_down_ms <= max_link_down.0
}

/// Best first: lower priority, larger offset, smaller run id (ASCII case
/// folded; unknown run ids last).
fn compare(a: &Replica, b: &Replica) -> Ordering {
    a.priority.cmp(&b.priority).then(b.repl_offset.cmp(&a.repl_offset)).then_with(|| {
        match (&a.mon.runid, &b.mon.runid) {
            (Some(x), Some(y)) => {
                x.as_str().to_ascii_lowercase().cmp(&y.as_str().to_ascii_lowercase())
            }
            (Some(_), None) => Ordering::Less,
            (None, Some(_)) => Ordering::Greater,
            (None, None) => Ordering::Equal,
        }
    })
}

/// The replica to promote, if any.
pub(crate) fn select_replica<'a>(
    mc: &MasterConfig,
    master: &'a Master,
    now: Millis,
    periods: &Periods,
) -> Option<&'a Replica> {
    master
        .replicas
        .values()
        .filter(|r| is_candidate(mc, master, r, now, periods))
        .min_by(|a, b| compare(a, b))
}

/// Whether some replica may be promoted.
pub(crate) fn has_candidate(
    mc: &MasterConfig,
    master: &Master,
    now: Millis,
    periods: &Periods,
) -> bool {
    select_replica(mc, master, now, periods).is_some()
}
