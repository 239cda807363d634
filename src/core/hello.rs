//! The hello message sentinels exchange on the `__sentinel__:hello` channel.
//!
//! Every sentinel publishes a hello every 2 s to each instance of a master it
//! monitors (spec §7.5). The payload tells the others who the sender is (its
//! address and run id), its current epoch, and which address it believes the
//! master has under which config epoch. That is how peers discover each other
//! and how a newer master address spreads after a failover.
//!
//! The payload is 8 comma-separated fields, for example
//! `127.0.0.1,26379,01f7e11e51c241e18ddf33f7a6a16d0bbc4b6c61,0,mymaster,127.0.0.1,6379,0`.
//!
//! Hello payloads are not authenticated: anyone who can publish on the
//! channel can forge one. [`Hello::parse`] only guarantees the shape.

use super::ids::{Addr, Epoch, RunId};

/// The name of the pub/sub channel hellos travel on.
pub const HELLO_CHANNEL: &str = "__sentinel__:hello";

/// One hello message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hello {
    /// Where the sending sentinel can be reached (its announce address).
    pub sentinel_addr: Addr,
    /// The sending sentinel's run id (`myid`).
    pub runid: RunId,
    /// The sending sentinel's current epoch.
    pub current_epoch: Epoch,
    /// The name of the master this hello is about.
    pub master_name: String,
    /// The address the sender believes the master has.
    pub master_addr: Addr,
    /// The config epoch of that master address in the sender's view.
    pub master_config_epoch: Epoch,
}

impl Hello {
    /// The payload to publish: the 8 fields joined by commas, in the order
    /// sentinel ip, sentinel port, run id, current epoch, master name,
    /// master ip, master port, master config epoch.
    ///
    /// Fields are written verbatim. A master name containing a comma yields
    /// a payload with more than 8 fields, which every receiver (this crate
    /// and redis-sentinel alike) drops: such a master is simply never
    /// announced. Config validation is the place to refuse such names.
    pub fn encode(&self) -> String {
        self.fields().encode()
    }

    /// The fields, borrowed.
    pub(crate) fn fields(&self) -> HelloFields<'_> {
        HelloFields {
            sentinel_host: &self.sentinel_addr.host,
            sentinel_port: self.sentinel_addr.port,
            runid: self.runid.as_str(),
            current_epoch: self.current_epoch,
            master_name: &self.master_name,
            master_host: &self.master_addr.host,
            master_port: self.master_addr.port,
            master_config_epoch: self.master_config_epoch,
        }
    }

    /// Parses a payload received on [`HELLO_CHANNEL`].
    ///
    /// Returns `None` unless there are exactly 8 comma-separated fields, both
    /// ports are numbers in 1..=65535, both epochs are numbers no larger than
    /// [`Epoch::MAX_ACCEPTED`] (a larger one is forged or absurd), and the
    /// hosts, the run id and the master name are non-empty. Nothing
    /// else is checked (redis-sentinel checks even less: it reads numbers with
    /// `atoi`, so garbage becomes 0).
    pub fn parse(payload: &str) -> Option<Hello> {
        HelloFields::parse(payload).map(|f| f.to_hello())
    }
}

/// A hello's fields read in place from its payload, checked as
/// [`Hello::parse`] says, without copying any: most hellos a sentinel
/// receives repeat what it knows (a peer's hello every 2 s per master)
/// and are answered from this form alone ([`Sentinel::hello_refresh`]).
///
/// [`Sentinel::hello_refresh`]: super::sentinel::Sentinel::hello_refresh
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct HelloFields<'a> {
    pub sentinel_host: &'a str,
    pub sentinel_port: u16,
    pub runid: &'a str,
    pub current_epoch: Epoch,
    pub master_name: &'a str,
    pub master_host: &'a str,
    pub master_port: u16,
    pub master_config_epoch: Epoch,
}

impl<'a> HelloFields<'a> {
    /// Reads a payload received on [`HELLO_CHANNEL`] ([`Hello::parse`]).
    pub fn parse(payload: &'a str) -> Option<HelloFields<'a>> {
        let mut fields = payload.split(',');
        let mut next = || fields.next();
        let (ip, port, runid, epoch) = (next()?, next()?, next()?, next()?);
        let (name, master_ip, master_port, config_epoch) = (next()?, next()?, next()?, next()?);
        if fields.next().is_some() || [ip, runid, name, master_ip].iter().any(|f| f.is_empty()) {
            return None;
        }
        Some(HelloFields {
            sentinel_host: ip,
            sentinel_port: parse_port(port)?,
            runid,
            current_epoch: Epoch::parse_accepted(epoch)?,
            master_name: name,
            master_host: master_ip,
            master_port: parse_port(master_port)?,
            master_config_epoch: Epoch::parse_accepted(config_epoch)?,
        })
    }

    /// The payload ([`Hello::encode`]).
    pub fn encode(&self) -> String {
        use std::fmt::Write as _;
        let mut out = String::with_capacity(
            self.sentinel_host.len()
                + self.runid.len()
                + self.master_name.len()
                + self.master_host.len()
                + 7
                + 2 * 5
                + 2 * 20,
        );
        let _ = write!(
            out,
            "{},{},{},{},{},{},{},{}",
            self.sentinel_host,
            self.sentinel_port,
            self.runid,
            self.current_epoch,
            self.master_name,
            self.master_host,
            self.master_port,
            self.master_config_epoch,
        );
        out
    }

    /// Whether the sender is at `addr`.
    pub fn sent_from(&self, addr: &Addr) -> bool {
        addr.port == self.sentinel_port && addr.host == self.sentinel_host
    }

    /// The owned hello.
    pub fn to_hello(self) -> Hello {
        Hello {
            sentinel_addr: Addr::new(self.sentinel_host, self.sentinel_port),
            runid: RunId::from(self.runid),
            current_epoch: self.current_epoch,
            master_name: self.master_name.to_owned(),
            master_addr: Addr::new(self.master_host, self.master_port),
            master_config_epoch: self.master_config_epoch,
        }
    }
}

/// The master a hello payload names, if it is a hello
/// ([`HelloFields::parse`], nothing copied): what the step needs to know
/// which master a hello may change before it is handled. A payload that
/// is no hello changes no master.
pub(crate) fn named_master(payload: &[u8]) -> Option<&str> {
    HelloFields::parse(std::str::from_utf8(payload).ok()?).map(|h| h.master_name)
}

/// A TCP port in 1..=65535.
fn parse_port(text: &str) -> Option<u16> {
    text.parse().ok().filter(|&p| p != 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_named_master_is_the_fifth_of_eight_fields() {
        assert_eq!(named_master(CAPTURED.as_bytes()), Some("mymaster"));
        assert_eq!(named_master(b"a,1,r,0,m,b,2"), None, "seven fields");
        assert_eq!(named_master(b"a,1,r,0,m,b,2,0,x"), None, "nine fields");
        assert_eq!(named_master(b"a,1,r,0,\xff,b,2,0"), None, "not UTF-8");
        assert_eq!(named_master(b"a,0,r,0,m,b,2,0"), None, "port 0: no hello");
    }

    /// A payload published by redis-sentinel 7.0.15 on a redis-server it
    /// monitored, captured with `redis-cli SUBSCRIBE __sentinel__:hello`.
    const CAPTURED: &str =
        "127.0.0.1,27313,01f7e11e51c241e18ddf33f7a6a16d0bbc4b6c61,0,mymaster,127.0.0.1,27311,0";

    fn hello(
        (ip, port): (&str, u16),
        runid: &str,
        epoch: u64,
        name: &str,
        (mip, mport): (&str, u16),
        config_epoch: u64,
    ) -> Hello {
        Hello {
            sentinel_addr: Addr::new(ip, port),
            runid: RunId::from(String::from(runid)),
            current_epoch: Epoch(epoch),
            master_name: name.into(),
            master_addr: Addr::new(mip, mport),
            master_config_epoch: Epoch(config_epoch),
        }
    }

    #[test]
    fn captured_payload() {
        let want = hello(
            ("127.0.0.1", 27313),
            "01f7e11e51c241e18ddf33f7a6a16d0bbc4b6c61",
            0,
            "mymaster",
            ("127.0.0.1", 27311),
            0,
        );
        assert_eq!(Hello::parse(CAPTURED), Some(want.clone()));
        assert_eq!(want.encode(), CAPTURED);
    }

    #[test]
    fn valid_payloads_round_trip() {
        let id = "dd4a3c65cf770865927dc26d755f357e10326738";
        let cases = [
            (
                "10.0.0.1,26379,dd4a3c65cf770865927dc26d755f357e10326738,7,m,10.0.0.2,6380,5",
                hello(("10.0.0.1", 26379), id, 7, "m", ("10.0.0.2", 6380), 5),
            ),
            (
                "::1,26379,dd4a3c65cf770865927dc26d755f357e10326738,4611686018427387904,m-1.x,fe80::1,65535,0",
                hello(("::1", 26379), id, 1 << 62, "m-1.x", ("fe80::1", 65535), 0),
            ),
            (
                "sentinel-a.example,1,x,0,my master,redis-0.example,6379,3",
                hello(("sentinel-a.example", 1), "x", 0, "my master", ("redis-0.example", 6379), 3),
            ),
        ];
        for (payload, want) in cases {
            assert_eq!(Hello::parse(payload).as_ref(), Some(&want), "{payload}");
            assert_eq!(want.encode(), payload);
        }
    }

    #[test]
    fn invalid_payloads() {
        let cases = [
            "",
            ",,,,,,,",
            "127.0.0.1,27313,id,0,mymaster,127.0.0.1,27311",
            "127.0.0.1,27313,id,0,mymaster,127.0.0.1,27311,0,extra",
            "127.0.0.1,27313,id,0,my,master,127.0.0.1,27311,0",
            "127.0.0.1,x,id,0,mymaster,127.0.0.1,27311,0",
            "127.0.0.1,0,id,0,mymaster,127.0.0.1,27311,0",
            "127.0.0.1,65536,id,0,mymaster,127.0.0.1,27311,0",
            "127.0.0.1,27313,id,-1,mymaster,127.0.0.1,27311,0",
            "127.0.0.1,27313,id,0,mymaster,127.0.0.1,27311,",
            "127.0.0.1,27313,id,0,mymaster,127.0.0.1, 27311,0",
            "127.0.0.1,27313,id,18446744073709551616,mymaster,127.0.0.1,27311,0",
            // Absurd epochs: beyond Epoch::MAX_ACCEPTED (2^62).
            "127.0.0.1,27313,id,18446744073709551615,mymaster,127.0.0.1,27311,0",
            "127.0.0.1,27313,id,4611686018427387905,mymaster,127.0.0.1,27311,0",
            "127.0.0.1,27313,id,0,mymaster,127.0.0.1,27311,4611686018427387905",
            "127.0.0.1,27313,id,0,mymaster,127.0.0.1,27311,-1",
            ",27313,id,0,mymaster,127.0.0.1,27311,0",
            "127.0.0.1,27313,,0,mymaster,127.0.0.1,27311,0",
            "127.0.0.1,27313,id,0,,127.0.0.1,27311,0",
            "127.0.0.1,27313,id,0,mymaster,,27311,0",
        ];
        for payload in cases {
            assert_eq!(Hello::parse(payload), None, "{payload:?}");
        }
    }

    #[test]
    fn comma_in_master_name_is_not_announced() {
        let h = hello(("127.0.0.1", 26379), "id", 1, "a,b", ("127.0.0.1", 6379), 1);
        assert_eq!(Hello::parse(&h.encode()), None);
    }

    #[test]
    fn truncated_payloads_never_panic() {
        for end in 0..=CAPTURED.len() {
            let _ = Hello::parse(&CAPTURED[..end]);
        }
    }
}
