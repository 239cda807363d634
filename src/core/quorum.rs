//! Counting: how many sentinels agree a master is down, and whether enough
//! sentinels are usable to reach the quorum and a majority (CKQUORUM).
//!
//! ODOWN is a weak quorum (spec §7.2): this sentinel plus every peer whose
//! last is-master-down-by-addr reply (younger than 5 ask periods) said
//! "down". A failover additionally needs a majority of all known sentinels,
//! dead ones included (§7.3), which is what CKQUORUM checks ahead of time.

use super::instance::Master;

/// Sentinels that see the master down: us (when called, we are SDOWN) plus
/// the peers that said so.
pub(crate) fn odown_votes(master: &Master) -> u32 {
    1 + master.sentinels.values().filter(|p| p.master_down).count() as u32
}

/// The majority of `voters` sentinels.
pub(crate) fn majority(voters: usize) -> usize {
    voters / 2 + 1
}

/// The `SENTINEL CKQUORUM` verdict for `usable` sentinels (us included) out
/// of `voters` known ones: `Ok(status text)` or `Err(error text)`, both
/// exactly as redis-sentinel words them.
pub(crate) fn ckquorum(usable: usize, voters: usize, quorum: u32) -> Result<String, String> {
    let no_quorum = usable < quorum as usize;
    let no_majority = usable < majority(voters);
    if !no_quorum && !no_majority {
        return Ok(format!(
            "OK {usable} usable Sentinels. Quorum and failover authorization can be reached"
        ));
    }
    let mut text = format!("NOQUORUM {usable} usable Sentinels. ");
    if no_quorum {
        text.push_str(
            "Not enough available Sentinels to reach the specified quorum for this master",
        );
    }
    if no_majority {
        if no_quorum {
            text.push_str(". ");
        }
        text.push_str(
            "Not enough available Sentinels to reach the majority and authorize a failover",
        );
    }
    Err(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn majority_of_known_sentinels() {
        for (voters, want) in [(1, 1), (2, 2), (3, 2), (4, 3), (5, 3)] {
            assert_eq!(majority(voters), want, "voters={voters}");
        }
    }

    #[test]
    fn ckquorum_texts() {
        let ok = "OK 3 usable Sentinels. Quorum and failover authorization can be reached";
        assert_eq!(ckquorum(3, 3, 2), Ok(ok.into()));
        let q = "Not enough available Sentinels to reach the specified quorum for this master";
        let m = "Not enough available Sentinels to reach the majority and authorize a failover";
        assert_eq!(ckquorum(2, 3, 3), Err(format!("NOQUORUM 2 usable Sentinels. {q}")));
        assert_eq!(ckquorum(2, 5, 2), Err(format!("NOQUORUM 2 usable Sentinels. {m}")));
        assert_eq!(ckquorum(1, 5, 2), Err(format!("NOQUORUM 1 usable Sentinels. {q}. {m}")));
    }
}
