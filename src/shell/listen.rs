//! The client listeners: `bind` × `port` (and × `tls-port`), as redis
//! binds them, and `unixsocket`.
//!
//! Each `bind` entry is one socket. An entry with a `:` is IPv6 (`::*` =
//! every IPv6 address), any other IPv4 (`*` = every IPv4 address) or a host
//! name; IPv6 sockets are IPV6_V6ONLY so that `* ::*` can listen on both.
//! A `-` before an entry makes it optional: if its address does not exist
//! on this machine (EADDRNOTAVAIL), it is skipped with a warning. An
//! address family the kernel does not support (IPv6 disabled) is skipped
//! whether optional or not. Any other failure ends the start with redis's
//! `Failed listening on port N (TCP), aborting.`. With no `bind` line the
//! entries are redis 7's default, `* -::*`.

use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, ToSocketAddrs};

use socket2::{Domain, Protocol, Socket, Type};
use tokio::net::TcpListener;
use tracing::warn;

/// redis 7's `bind` default: every IPv4 address, and every IPv6 one if any.
pub const DEFAULT_BIND: &[&str] = &["*", "-::*"];

/// redis's `tcp-backlog` default.
const BACKLOG: i32 = 511;

/// One `bind` entry: whether it may be missing, and the address to look up.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Entry<'a> {
    optional: bool,
    /// The address as written, without the `-`.
    addr: &'a str,
    ipv6: bool,
}

fn entry(text: &str) -> Entry<'_> {
    let (optional, addr) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    Entry { optional, addr, ipv6: addr.contains(':') }
}

/// Whether a failure with `errno` skips the entry rather than ending the
/// start (redis's `listenToPort`).
fn skipped(optional: bool, errno: Option<i32>) -> bool {
    match errno {
        Some(libc::EADDRNOTAVAIL) => optional,
        Some(
            libc::ENOPROTOOPT
            | libc::EPROTONOSUPPORT
            | libc::ESOCKTNOSUPPORT
            | libc::EPFNOSUPPORT
            | libc::EAFNOSUPPORT,
        ) => true,
        _ => false,
    }
}

/// Binds every entry of `bind` (empty = [`DEFAULT_BIND`]) on `port`;
/// `kind` (`TCP` or `TLS`) names the port in the error, which is the line
/// to log before exiting.
pub fn bind_all(bind: &[String], port: u16, kind: &str) -> Result<Vec<TcpListener>, String> {
    let default: Vec<String> = DEFAULT_BIND.iter().map(|s| s.to_string()).collect();
    let bind = if bind.is_empty() { &default } else { bind };
    let mut listeners = Vec::new();
    for text in bind {
        let e = entry(text);
        match listen(&e, port) {
            Ok(l) => listeners.push(l),
            Err((why, errno)) => {
                warn!(
                    "Warning: Could not create server TCP listening socket {}:{port}: {why}",
                    e.addr
                );
                if !skipped(e.optional, errno) {
                    return Err(format!("Failed listening on port {port} ({kind}), aborting."));
                }
            }
        }
    }
    Ok(listeners)
}

/// Listens on the unix socket `path` (a file already there is removed
/// first, as redis does), with permissions `perm` when given. The error is
/// the line to log before exiting.
pub fn bind_unix(path: &str, perm: Option<u32>) -> Result<tokio::net::UnixListener, String> {
    let failed = |step: &str, err: io::Error| {
        let text = err.to_string();
        let text = text.split(" (os error").next().unwrap_or_default().to_string();
        format!("Failed opening Unix socket: {step}: {text}")
    };
    let _ = std::fs::remove_file(path);
    let listener = tokio::net::UnixListener::bind(path).map_err(|err| failed("bind", err))?;
    if let Some(perm) = perm {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(perm))
            .map_err(|err| failed("chmod", err))?;
    }
    Ok(listener)
}

/// One listening socket; the error is redis's wording and the errno.
fn listen(e: &Entry<'_>, port: u16) -> Result<TcpListener, (String, Option<i32>)> {
    let addr = resolve(e, port).map_err(|why| (why, None))?;
    let fail = |step: &str, err: io::Error| {
        let text = err.to_string();
        let text = text.split(" (os error").next().unwrap_or_default().to_string();
        (format!("{step}: {text}"), err.raw_os_error())
    };
    let socket = Socket::new(Domain::for_address(addr), Type::STREAM, Some(Protocol::TCP))
        .map_err(|err| fail("socket", err))?;
    if addr.is_ipv6() {
        socket.set_only_v6(true).map_err(|err| fail("setsockopt IPV6_V6ONLY", err))?;
    }
    socket.set_reuse_address(true).map_err(|err| fail("setsockopt SO_REUSEADDR", err))?;
    socket.bind(&addr.into()).map_err(|err| fail("bind", err))?;
    socket.listen(BACKLOG).map_err(|err| fail("listen", err))?;
    socket.set_nonblocking(true).map_err(|err| fail("fcntl", err))?;
    TcpListener::from_std(socket.into()).map_err(|err| fail("listen", err))
}

/// The socket address of an entry: a literal, a wildcard, or a host name
/// looked up in the entry's family.
fn resolve(e: &Entry<'_>, port: u16) -> Result<SocketAddr, String> {
    let ip = match e.addr {
        "*" if !e.ipv6 => Some(IpAddr::V4(Ipv4Addr::UNSPECIFIED)),
        "::*" => Some(IpAddr::V6(Ipv6Addr::UNSPECIFIED)),
        a => a.parse().ok(),
    };
    if let Some(ip) = ip {
        return Ok(SocketAddr::new(ip, port));
    }
    let found = (e.addr, port).to_socket_addrs().map_err(|err| {
        let text = err.to_string();
        text.trim_start_matches("failed to lookup address information: ").to_string()
    })?;
    found
        .into_iter()
        .find(|a| a.is_ipv6() == e.ipv6)
        .ok_or_else(|| "Name or service not known".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries() {
        assert_eq!(entry("*"), Entry { optional: false, addr: "*", ipv6: false });
        assert_eq!(entry("-::*"), Entry { optional: true, addr: "::*", ipv6: true });
        assert_eq!(entry("-10.0.0.1"), Entry { optional: true, addr: "10.0.0.1", ipv6: false });
        let any6 = resolve(&entry("::*"), 7).expect("wildcard");
        assert_eq!(any6, "[::]:7".parse().expect("addr"));
        assert_eq!(resolve(&entry("*"), 7), Ok("0.0.0.0:7".parse().expect("addr")));
        assert_eq!(resolve(&entry("-::1"), 7), Ok("[::1]:7".parse().expect("addr")));
    }

    #[test]
    fn only_a_missing_optional_address_or_an_unsupported_family_is_skipped() {
        assert!(skipped(true, Some(libc::EADDRNOTAVAIL)));
        assert!(!skipped(false, Some(libc::EADDRNOTAVAIL)));
        assert!(!skipped(true, Some(libc::EADDRINUSE)));
        assert!(!skipped(true, None));
        assert!(skipped(false, Some(libc::EAFNOSUPPORT)));
    }
}
