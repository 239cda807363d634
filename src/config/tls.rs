//! The `tls-*` directives: checked line by line, then read as one
//! [`TlsSettings`] (pure; the shell loads the files and builds rustls from
//! it).
//!
//! The lines themselves stay in [`crate::config::ServerConfig::tls`] as
//! written (the rewrite keeps them); [`TlsSettings::from_directives`]
//! is their typed reading. Each line was checked by [`check`] when the file
//! was parsed, so reading them cannot fail.
//!
//! redis-sentinel 7.0 uses OpenSSL; rsentinel uses rustls, which has no
//! TLS 1.0 or 1.1, no CBC or CCM suites and no finite-field Diffie-Hellman.
//! What that means for each directive is decided here ([`protocols`],
//! [`suite_names`]) and logged by the shell; the README's TLS section lists
//! it.

use std::collections::BTreeMap;

use super::parse::{parse_port, parse_u64, yes_no};

/// `tls-auth-clients`: whether clients of the TLS port must show a
/// certificate signed by the CA.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthClients {
    /// No certificate is asked for.
    No,
    /// A valid certificate is required (redis's default).
    Yes,
    /// A certificate is asked for and checked if given, not required.
    Optional,
}

/// The TLS versions `tls-protocols` allows, as rustls can honour them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Protocols {
    /// TLS 1.2 allowed.
    pub tls12: bool,
    /// TLS 1.3 allowed.
    pub tls13: bool,
    /// Versions named that rustls does not implement (`TLSv1`, `TLSv1.1`):
    /// refused, and the shell logs them.
    pub refused: Vec<String>,
}

/// Every `tls-*` setting of redis 7.0, typed, with redis's defaults.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsSettings {
    /// `tls-port`: the TLS listener's port, on the `bind` addresses; 0 = none.
    pub port: u16,
    /// `tls-cert-file`: the certificate (chain) the TLS port shows, and
    /// the client certificate of outgoing links unless
    /// `tls-client-cert-file` is set.
    pub cert_file: Option<String>,
    /// `tls-key-file`: its private key (PEM).
    pub key_file: Option<String>,
    /// `tls-key-file-pass`: the key file's passphrase (encrypted PKCS#8).
    pub key_file_pass: Option<String>,
    /// `tls-client-cert-file`: the certificate outgoing links show.
    pub client_cert_file: Option<String>,
    /// `tls-client-key-file`: its private key.
    pub client_key_file: Option<String>,
    /// `tls-client-key-file-pass`: its passphrase.
    pub client_key_file_pass: Option<String>,
    /// `tls-ca-cert-file`: the CA certificates peers are checked against.
    pub ca_cert_file: Option<String>,
    /// `tls-ca-cert-dir`: a directory of CA certificates (every PEM file in
    /// it is read).
    pub ca_cert_dir: Option<String>,
    /// `tls-auth-clients` (default yes).
    pub auth_clients: AuthClients,
    /// `tls-replication`: the links to monitored servers and to peer
    /// sentinels use TLS (and the hello announces `tls-port`).
    pub replication: bool,
    /// `tls-cluster`: meaningless for a sentinel (no cluster bus).
    pub cluster: bool,
    /// `tls-protocols` as written (`None` = TLS 1.2 and 1.3).
    pub protocols: Option<String>,
    /// `tls-ciphers` as written: TLS 1.2 cipher list (OpenSSL syntax).
    pub ciphers: Option<String>,
    /// `tls-ciphersuites` as written: TLS 1.3 suites (OpenSSL names).
    pub ciphersuites: Option<String>,
    /// `tls-prefer-server-ciphers` (default no).
    pub prefer_server_ciphers: bool,
    /// `tls-session-caching` (default yes).
    pub session_caching: bool,
    /// `tls-session-cache-size`: sessions kept (default 20480).
    pub session_cache_size: u64,
    /// `tls-session-cache-timeout`: seconds (default 300).
    pub session_cache_timeout: u64,
    /// `tls-dh-params-file`.
    pub dh_params_file: Option<String>,
}

/// redis's `tls-session-cache-size` default.
pub const DEFAULT_SESSION_CACHE_SIZE: u64 = 20 * 1024;

/// redis's `tls-session-cache-timeout` default, in seconds.
pub const DEFAULT_SESSION_CACHE_TIMEOUT: u64 = 300;

impl Default for TlsSettings {
    fn default() -> Self {
        TlsSettings {
            port: 0,
            cert_file: None,
            key_file: None,
            key_file_pass: None,
            client_cert_file: None,
            client_key_file: None,
            client_key_file_pass: None,
            ca_cert_file: None,
            ca_cert_dir: None,
            auth_clients: AuthClients::Yes,
            replication: false,
            cluster: false,
            protocols: None,
            ciphers: None,
            ciphersuites: None,
            prefer_server_ciphers: false,
            session_caching: true,
            session_cache_size: DEFAULT_SESSION_CACHE_SIZE,
            session_cache_timeout: DEFAULT_SESSION_CACHE_TIMEOUT,
            dh_params_file: None,
        }
    }
}

impl TlsSettings {
    /// Reads the `tls-*` lines (name → arguments, each checked by
    /// `check`); a line that does not read keeps the default.
    pub fn from_directives(lines: &BTreeMap<String, Vec<String>>) -> TlsSettings {
        let mut s = TlsSettings::default();
        for (name, values) in lines {
            if let [value] = values.as_slice() {
                let _ = s.apply(name, value);
            }
        }
        s
    }

    /// Whether TLS is in use at all: a TLS port or TLS links (redis
    /// configures OpenSSL only then, and ignores the other `tls-*` lines
    /// otherwise).
    pub fn enabled(&self) -> bool {
        self.port != 0 || self.replication
    }

    /// Sets one directive from its (single) argument.
    fn apply(&mut self, name: &str, value: &str) -> Result<(), String> {
        let path = || (!value.is_empty()).then(|| value.to_string());
        let flag = || yes_no(value).ok_or_else(|| "argument must be 'yes' or 'no'".to_string());
        let number = || {
            parse_u64(value)
                .filter(|n| *n <= i32::MAX as u64)
                .ok_or_else(|| format!("argument couldn't be parsed into an integer: '{value}'"))
        };
        match name {
            "tls-port" => self.port = parse_port(value)?,
            "tls-cert-file" => self.cert_file = path(),
            "tls-key-file" => self.key_file = path(),
            "tls-key-file-pass" => self.key_file_pass = path(),
            "tls-client-cert-file" => self.client_cert_file = path(),
            "tls-client-key-file" => self.client_key_file = path(),
            "tls-client-key-file-pass" => self.client_key_file_pass = path(),
            "tls-ca-cert-file" => self.ca_cert_file = path(),
            "tls-ca-cert-dir" => self.ca_cert_dir = path(),
            "tls-dh-params-file" => self.dh_params_file = path(),
            "tls-auth-clients" => self.auth_clients = auth_clients(value)?,
            "tls-replication" => self.replication = flag()?,
            "tls-cluster" => self.cluster = flag()?,
            "tls-prefer-server-ciphers" => self.prefer_server_ciphers = flag()?,
            "tls-session-caching" => self.session_caching = flag()?,
            "tls-session-cache-size" => self.session_cache_size = number()?,
            "tls-session-cache-timeout" => self.session_cache_timeout = number()?,
            "tls-protocols" => {
                protocols(value)?;
                self.protocols = path()
            }
            "tls-ciphers" => self.ciphers = path(),
            "tls-ciphersuites" => self.ciphersuites = path(),
            _ => return Err("Bad directive or wrong number of arguments".into()),
        }
        Ok(())
    }
}

/// Checks one `tls-*` line: redis takes exactly one argument for each
/// (`tls-protocols "TLSv1.2 TLSv1.3"` is one quoted argument).
pub(crate) fn check(name: &str, values: &[String]) -> Result<(), String> {
    match values {
        [value] => TlsSettings::default().apply(name, value),
        _ => Err("wrong number of arguments".into()),
    }
}

fn auth_clients(value: &str) -> Result<AuthClients, String> {
    match value.to_ascii_lowercase().as_str() {
        "no" => Ok(AuthClients::No),
        "yes" => Ok(AuthClients::Yes),
        "optional" => Ok(AuthClients::Optional),
        _ => Err("argument(s) must be one of the following: no, yes, optional".into()),
    }
}

/// Reads `tls-protocols` (`None` = redis's default, TLS 1.2 and 1.3):
/// names separated by spaces, case-insensitive, as redis reads them. An
/// unknown name is an error (redis refuses to start on it too); `TLSv1`
/// and `TLSv1.1` are known but refused (rustls does not implement them),
/// and the shell says so; naming nothing else is an error, since no
/// version would be left.
pub fn protocols(value: &str) -> Result<Protocols, String> {
    let mut p = Protocols { tls12: false, tls13: false, refused: Vec::new() };
    for name in value.split(' ').filter(|n| !n.is_empty()) {
        match name.to_ascii_lowercase().as_str() {
            "tlsv1.2" => p.tls12 = true,
            "tlsv1.3" => p.tls13 = true,
            "tlsv1" | "tlsv1.1" => p.refused.push(name.to_string()),
            _ => {
                return Err(format!(
                    "Invalid tls-protocols '{name}': use a combination of 'TLSv1.2' and \
                     'TLSv1.3' ('TLSv1' and 'TLSv1.1' are not supported by rsentinel)"
                ));
            }
        }
    }
    if !p.tls12 && !p.tls13 {
        return Err(format!(
            "tls-protocols '{value}' leaves no version rsentinel supports: \
             name TLSv1.2 and/or TLSv1.3"
        ));
    }
    Ok(p)
}

/// The default of [`protocols`]: TLS 1.2 and 1.3.
pub fn default_protocols() -> Protocols {
    Protocols { tls12: true, tls13: true, refused: Vec::new() }
}

/// The elements of an OpenSSL cipher list or suite list (`tls-ciphers`,
/// `tls-ciphersuites`): separated by `:`, and for `tls-ciphers` also by
/// `,` or spaces, as OpenSSL reads them.
pub fn suite_names(value: &str) -> Vec<&str> {
    value.split([':', ',', ' ']).filter(|n| !n.is_empty()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(pairs: &[(&str, &str)]) -> BTreeMap<String, Vec<String>> {
        pairs.iter().map(|(n, v)| (n.to_string(), vec![v.to_string()])).collect()
    }

    #[test]
    fn defaults_are_redis_7() {
        let s = TlsSettings::from_directives(&BTreeMap::new());
        assert_eq!(s.auth_clients, AuthClients::Yes);
        assert!(s.session_caching && !s.replication && !s.enabled());
        assert_eq!((s.session_cache_size, s.session_cache_timeout), (20480, 300));
    }

    #[test]
    fn reads_every_directive() {
        let s = TlsSettings::from_directives(&lines(&[
            ("tls-port", "26380"),
            ("tls-cert-file", "/c.crt"),
            ("tls-key-file", "/c.key"),
            ("tls-ca-cert-dir", "/ca"),
            ("tls-ca-cert-file", ""),
            ("tls-auth-clients", "OPTIONAL"),
            ("tls-replication", "yes"),
            ("tls-protocols", "TLSv1.3"),
            ("tls-session-cache-size", "10"),
        ]));
        assert_eq!(s.port, 26380);
        assert_eq!(s.cert_file.as_deref(), Some("/c.crt"));
        assert_eq!(s.ca_cert_dir.as_deref(), Some("/ca"));
        assert_eq!(s.ca_cert_file, None, "an empty string unsets, as in redis");
        assert_eq!(s.auth_clients, AuthClients::Optional);
        assert!(s.replication && s.enabled());
        assert_eq!(s.protocols.as_deref(), Some("TLSv1.3"));
        assert_eq!(s.session_cache_size, 10);
    }

    #[test]
    fn bad_lines_are_refused_with_redis_reasons() {
        let one = |v: &str| vec![v.to_string()];
        assert!(check("tls-port", &one("70000")).unwrap_err().contains("Invalid port number"));
        assert_eq!(
            check("tls-auth-clients", &one("maybe")).unwrap_err(),
            "argument(s) must be one of the following: no, yes, optional"
        );
        assert_eq!(
            check("tls-replication", &one("1")).unwrap_err(),
            "argument must be 'yes' or 'no'"
        );
        assert_eq!(check("tls-cert-file", &[]).unwrap_err(), "wrong number of arguments");
        let two = vec!["TLSv1.2".to_string(), "TLSv1.3".to_string()];
        assert_eq!(check("tls-protocols", &two).unwrap_err(), "wrong number of arguments");
        assert!(check("tls-protocols", &one("SSLv3")).unwrap_err().contains("SSLv3"));
        assert!(check("tls-session-cache-size", &one("-1")).is_err());
        assert!(check("tls-ciphers", &one("DEFAULT:!MEDIUM")).is_ok());
    }

    #[test]
    fn protocols_keep_what_rustls_has_and_name_what_it_refuses() {
        let p = protocols("TLSv1 tlsv1.1  TLSv1.2").unwrap();
        assert_eq!(
            p,
            Protocols {
                tls12: true,
                tls13: false,
                refused: vec!["TLSv1".into(), "tlsv1.1".into()]
            }
        );
        assert_eq!(
            protocols("TLSv1.3").unwrap(),
            Protocols { tls12: false, tls13: true, refused: vec![] }
        );
        assert!(protocols("TLSv1 TLSv1.1").unwrap_err().contains("leaves no version"));
        assert!(protocols("").is_err());
    }

    #[test]
    fn hellos_announce_the_tls_port_only_with_tls_links() {
        let mut server = crate::config::ServerConfig { port: 26379, ..Default::default() };
        server.tls = lines(&[("tls-port", "26380")]);
        assert_eq!(server.hello_port(), 26379);
        server.tls = lines(&[("tls-port", "26380"), ("tls-replication", "YES")]);
        assert_eq!(server.hello_port(), 26380);
        server.tls = lines(&[("tls-port", "0"), ("tls-replication", "yes")]);
        assert_eq!(server.hello_port(), 26379);
    }

    #[test]
    fn suite_lists_split_as_openssl_splits_them() {
        assert_eq!(suite_names("A:B, C"), vec!["A", "B", "C"]);
        assert_eq!(suite_names("TLS_AES_128_GCM_SHA256"), vec!["TLS_AES_128_GCM_SHA256"]);
    }
}
