//! TLS with rustls: the `tls-*` settings ([`TlsSettings`]) → a server
//! config for `tls-port` and a client config for the links
//! (`tls-replication yes`), as redis-sentinel 7.0 builds its OpenSSL
//! contexts.
//!
//! As redis does:
//! - TLS is set up only when there is a `tls-port` or `tls-replication
//!   yes`; `tls-cert-file` and `tls-key-file` are then required, and a CA
//!   (`tls-ca-cert-file` / `tls-ca-cert-dir`) too unless `tls-auth-clients
//!   no` and `tls-replication no`. A missing or unreadable file ends the
//!   start (`Failed to configure TLS. Check logs for more info.`).
//! - Outgoing links show `tls-client-cert-file` when it and its key are
//!   set, else `tls-cert-file`, and check the server's chain against the CA
//!   but not its name (hiredis's `redisInitiateSSL` as redis-sentinel calls
//!   it checks no host name: instances are addressed by IP and their
//!   certificates seldom name it).
//! - X.509 version 1 certificates, which OpenSSL takes and webpki refuses,
//!   are taken as leaves, ours and our peers', checked by [`super::x509_v1`]
//!   (chain to a configured CA, signature, dates); version 3 chains are
//!   left to webpki alone.
//! - A link whose handshake fails is reported to the core as
//!   [`TLS_FAILED`](crate::core::TLS_FAILED), redis-sentinel's words for
//!   it; the cause ([`explain`]) is logged by the link.
//!
//! The crypto provider is *ring*: it builds with the C compiler alone,
//! where aws-lc-rs's build wants cmake (and nasm on some targets), which
//! this project's machines do not have. What rustls cannot do (TLS 1.0 and
//! 1.1, CBC and CCM suites, OpenSSL cipher expressions, finite-field DH
//! parameters, a session cache timeout) is refused with a warning naming
//! the directive, never ignored silently ([`refusals`]).

use std::path::Path;
use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::ring::{cipher_suite as suite, default_provider};
use rustls::crypto::{CryptoProvider, WebPkiSupportedAlgorithms};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer, ServerName, UnixTime};
use rustls::server::danger::{ClientCertVerified, ClientCertVerifier};
use rustls::server::{NoServerSessionStorage, ServerSessionMemoryCache, WebPkiClientVerifier};
use rustls::sign::SingleCertAndKey;
use rustls::{
    CertificateError, ClientConfig, DigitallySignedStruct, DistinguishedName, RootCertStore,
    ServerConfig, SignatureScheme, SupportedCipherSuite, SupportedProtocolVersion,
};
use tokio::net::TcpStream;
use tokio_rustls::{TlsAcceptor, TlsConnector};
use tracing::warn;

use super::x509_v1::{self, V1Cert};
use crate::config::{AuthClients, TlsSettings, default_protocols, protocols, suite_names};

/// What TLS needs at run time: an acceptor for `tls-port`, a connector for
/// the links; either may be absent.
#[derive(Clone, Default)]
pub struct Tls {
    /// For the `tls-port` listeners (`None`: no TLS port).
    pub acceptor: Option<TlsAcceptor>,
    /// For the links (`None`: `tls-replication no`, links are plain TCP).
    pub links: Option<TlsConnector>,
}

impl std::fmt::Debug for Tls {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tls")
            .field("acceptor", &self.acceptor.is_some())
            .field("links", &self.links.is_some())
            .finish()
    }
}

/// Opens a TLS session over `tcp` to `host` (an IP or a name; only the
/// chain is checked, see the module doc).
pub async fn connect(
    connector: &TlsConnector,
    host: &str,
    tcp: TcpStream,
) -> Result<tokio_rustls::client::TlsStream<TcpStream>, String> {
    let name = ServerName::try_from(host.to_string())
        .map_err(|e| format!("invalid TLS server name '{host}': {e}"))?;
    let session = connector.connect(name, tcp).await;
    session.map_err(|e| format!("TLS handshake failed: {}", explain(&e)))
}

/// A failed handshake's error, with what it most likely means in a
/// sentinel's setup where rustls's words alone would puzzle.
fn explain(e: &std::io::Error) -> String {
    use rustls::{AlertDescription as Alert, Error as E};
    let Some(tls) = e.get_ref().and_then(|e| e.downcast_ref::<E>()) else { return e.to_string() };
    let hint = match tls {
        E::InvalidCertificate(CertificateError::UnknownIssuer) => {
            "the server's certificate is not signed by a CA of tls-ca-cert-file / tls-ca-cert-dir"
        }
        E::InvalidCertificate(CertificateError::BadSignature) => {
            "the server's certificate names a CA of tls-ca-cert-file / tls-ca-cert-dir as its \
             issuer, but that CA's key did not sign it"
        }
        E::AlertReceived(Alert::BadCertificate | Alert::UnknownCA | Alert::CertificateRequired) => {
            "the server refused our certificate (tls-client-cert-file, else tls-cert-file): \
             is it signed by a CA the server trusts?"
        }
        _ => return tls.to_string(),
    };
    format!("{tls} ({hint})")
}

/// Builds TLS from the settings; the error is the line to log before
/// `Failed to configure TLS. Check logs for more info.`. Warns about what
/// is not acted on.
pub fn setup(s: &TlsSettings) -> Result<Tls, String> {
    if !s.enabled() {
        if *s != TlsSettings::default() {
            warn!(
                "tls-* directives are set but TLS is not in use (no tls-port, tls-replication no): \
                 they have no effect"
            );
        }
        return Ok(Tls::default());
    }
    for refusal in refusals(s)? {
        warn!("{refusal}");
    }
    let (Some(cert_file), Some(key_file)) = (&s.cert_file, &s.key_file) else {
        return Err(match s.cert_file {
            None => "No tls-cert-file configured!".into(),
            Some(_) => "No tls-key-file configured!".into(),
        });
    };
    let needs_ca = s.auth_clients != AuthClients::No || s.replication;
    if needs_ca && s.ca_cert_file.is_none() && s.ca_cert_dir.is_none() {
        return Err("Either tls-ca-cert-file or tls-ca-cert-dir must be specified when \
                    tls-cluster, tls-replication or tls-auth-clients are enabled!"
            .into());
    }
    let provider = Arc::new(provider(s)?);
    let versions = versions(s);
    let certs = load_certs(cert_file)?;
    let key = load_key(key_file, s.key_file_pass.as_deref())?;
    let roots = Arc::new(load_roots(s)?);
    let acceptor = match s.port {
        0 => None,
        _ => Some(server_config(s, &provider, &versions, &roots, certs.clone(), key.clone_key())?),
    };
    let links = if s.replication {
        let (certs, key) = match (&s.client_cert_file, &s.client_key_file) {
            (Some(c), Some(k)) => (load_certs(c)?, load_key(k, s.client_key_file_pass.as_deref())?),
            _ => (certs, key),
        };
        Some(client_config(&provider, &versions, roots, certs, key)?)
    } else {
        None
    };
    Ok(Tls {
        acceptor: acceptor.map(|c| TlsAcceptor::from(Arc::new(c))),
        links: links.map(|c| TlsConnector::from(Arc::new(c))),
    })
}

/// The settings rustls cannot honour, each as a warning line (an error
/// when nothing usable is left, as with `tls-protocols TLSv1.1`).
fn refusals(s: &TlsSettings) -> Result<Vec<String>, String> {
    let mut out = Vec::new();
    let protocols = match &s.protocols {
        Some(p) => protocols(p)?,
        None => default_protocols(),
    };
    for name in &protocols.refused {
        out.push(format!(
            "tls-protocols: {name} refused: rustls implements TLSv1.2 and TLSv1.3 only"
        ));
    }
    if let Some(list) = &s.ciphersuites {
        out.extend(tls13_suites(list)?.1);
    }
    if let Some(list) = &s.ciphers {
        out.extend(tls12_suites(list).1);
    }
    if s.dh_params_file.is_some() {
        out.push(
            "tls-dh-params-file refused: rustls has no finite-field Diffie-Hellman \
                  (key exchange is ECDHE only)"
                .into(),
        );
    }
    if s.session_cache_timeout != crate::config::DEFAULT_SESSION_CACHE_TIMEOUT {
        out.push(
            "tls-session-cache-timeout refused: rustls's session cache has no timeout \
                  (sessions leave it by age of use when it is full)"
                .into(),
        );
    }
    if s.session_caching && s.session_cache_size == 0 {
        out.push(
            "tls-session-cache-size 0 (unlimited in OpenSSL) refused: the cache keeps \
                  the default 20480 sessions"
                .into(),
        );
    }
    Ok(out)
}

/// OpenSSL's TLS 1.3 suite names → rustls's suites.
const TLS13: &[(&str, SupportedCipherSuite)] = &[
    ("TLS_AES_256_GCM_SHA384", suite::TLS13_AES_256_GCM_SHA384),
    ("TLS_AES_128_GCM_SHA256", suite::TLS13_AES_128_GCM_SHA256),
    ("TLS_CHACHA20_POLY1305_SHA256", suite::TLS13_CHACHA20_POLY1305_SHA256),
];

/// OpenSSL's names of the TLS 1.2 suites rustls implements.
const TLS12: &[(&str, SupportedCipherSuite)] = &[
    ("ECDHE-ECDSA-AES256-GCM-SHA384", suite::TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384),
    ("ECDHE-ECDSA-AES128-GCM-SHA256", suite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256),
    ("ECDHE-ECDSA-CHACHA20-POLY1305", suite::TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256),
    ("ECDHE-RSA-AES256-GCM-SHA384", suite::TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384),
    ("ECDHE-RSA-AES128-GCM-SHA256", suite::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256),
    ("ECDHE-RSA-CHACHA20-POLY1305", suite::TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256),
];

fn lookup(table: &[(&str, SupportedCipherSuite)], name: &str) -> Option<SupportedCipherSuite> {
    table.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, s)| *s)
}

/// `tls-ciphersuites` → the suites in its order, and the refusals. Naming
/// none that rustls has is an error (TLS 1.3 would have no suite).
fn tls13_suites(list: &str) -> Result<(Vec<SupportedCipherSuite>, Vec<String>), String> {
    let (mut kept, mut refused) = (Vec::new(), Vec::new());
    for name in suite_names(list) {
        match lookup(TLS13, name) {
            Some(s) => kept.push(s),
            None => refused.push(format!(
                "tls-ciphersuites: {name} refused: rustls implements TLS_AES_256_GCM_SHA384, \
                 TLS_AES_128_GCM_SHA256 and TLS_CHACHA20_POLY1305_SHA256"
            )),
        }
    }
    if kept.is_empty() {
        return Err(format!("Failed to configure ciphersuites: {list}"));
    }
    Ok((kept, refused))
}

/// `tls-ciphers` → the TLS 1.2 suites it names, in its order, and the
/// refusals. OpenSSL's cipher expressions (`DEFAULT:!MEDIUM`, `HIGH`) are
/// not evaluated: an element that is not the name of a suite rustls has is
/// refused, and when nothing is left, rustls's own TLS 1.2 suites (ECDHE
/// with AES-GCM or ChaCha20-Poly1305, all of OpenSSL's `HIGH`) stay.
fn tls12_suites(list: &str) -> (Vec<SupportedCipherSuite>, Vec<String>) {
    let (mut kept, mut refused) = (Vec::new(), Vec::new());
    for name in suite_names(list) {
        match lookup(TLS12, name) {
            Some(s) => kept.push(s),
            None => refused.push(name),
        }
    }
    let mut out = Vec::new();
    if !refused.is_empty() {
        let fallback = if kept.is_empty() {
            "; TLS 1.2 keeps rustls's suites (ECDHE with AES-GCM or ChaCha20-Poly1305)"
        } else {
            ""
        };
        out.push(format!(
            "tls-ciphers: {} refused: only the names of the TLS 1.2 suites rustls implements \
             are read ({}){fallback}",
            refused.join(":"),
            TLS12.iter().map(|(n, _)| *n).collect::<Vec<_>>().join(", ")
        ));
    }
    (kept, out)
}

/// ring's provider, with the suites `tls-ciphersuites` and `tls-ciphers`
/// choose (each list in its own order; unset = all of that version's).
fn provider(s: &TlsSettings) -> Result<CryptoProvider, String> {
    let mut p = default_provider();
    let tls13 = match &s.ciphersuites {
        Some(list) => tls13_suites(list)?.0,
        None => TLS13.iter().map(|(_, s)| *s).collect(),
    };
    let tls12 = match s.ciphers.as_deref().map(tls12_suites) {
        Some((kept, _)) if !kept.is_empty() => kept,
        _ => TLS12.iter().map(|(_, s)| *s).collect(),
    };
    p.cipher_suites = tls13.into_iter().chain(tls12).collect();
    Ok(p)
}

/// The versions `tls-protocols` allows (checked by [`refusals`] first).
fn versions(s: &TlsSettings) -> Vec<&'static SupportedProtocolVersion> {
    let p =
        s.protocols.as_deref().and_then(|p| protocols(p).ok()).unwrap_or_else(default_protocols);
    let mut v = Vec::new();
    if p.tls13 {
        v.push(&rustls::version::TLS13);
    }
    if p.tls12 {
        v.push(&rustls::version::TLS12);
    }
    v
}

fn server_config(
    s: &TlsSettings,
    provider: &Arc<CryptoProvider>,
    versions: &[&'static SupportedProtocolVersion],
    roots: &Arc<RootCertStore>,
    certs: Vec<CertificateDer<'static>>,
    key: PrivateKeyDer<'static>,
) -> Result<ServerConfig, String> {
    let builder = ServerConfig::builder_with_provider(provider.clone())
        .with_protocol_versions(versions)
        .map_err(|e| format!("Failed to configure TLS versions: {e}"))?;
    let verifier = || WebPkiClientVerifier::builder_with_provider(roots.clone(), provider.clone());
    let clients = |built: Result<Arc<dyn ClientCertVerifier>, _>| {
        built.map(|inner| ClientV1::wrap(inner, roots, provider)).map_err(
            |e: rustls::server::VerifierBuilderError| {
                format!("Failed to configure CA certificate(s): {e}")
            },
        )
    };
    let builder = match s.auth_clients {
        AuthClients::No => builder.with_no_client_auth(),
        AuthClients::Yes => builder.with_client_cert_verifier(clients(verifier().build())?),
        AuthClients::Optional => {
            builder.with_client_cert_verifier(clients(verifier().allow_unauthenticated().build())?)
        }
    };
    let certified = x509_v1::certified_key(provider, certs, key)
        .map_err(|e| format!("Failed to load certificate and private key: {e}"))?;
    let mut config = builder.with_cert_resolver(Arc::new(SingleCertAndKey::from(certified)));
    config.ignore_client_order = s.prefer_server_ciphers;
    config.session_storage = match (s.session_caching, s.session_cache_size) {
        (false, _) => Arc::new(NoServerSessionStorage {}),
        (true, 0) => {
            ServerSessionMemoryCache::new(crate::config::DEFAULT_SESSION_CACHE_SIZE as usize)
        }
        (true, n) => ServerSessionMemoryCache::new(n as usize),
    };
    Ok(config)
}

fn client_config(
    provider: &Arc<CryptoProvider>,
    versions: &[&'static SupportedProtocolVersion],
    roots: Arc<RootCertStore>,
    certs: Vec<CertificateDer<'static>>,
    key: PrivateKeyDer<'static>,
) -> Result<ClientConfig, String> {
    let chain = rustls::client::WebPkiServerVerifier::builder_with_provider(
        roots.clone(),
        provider.clone(),
    )
    .build()
    .map_err(|e| format!("Failed to configure CA certificate(s): {e}"))?;
    let verifier = ChainOnly { chain, v1: V1Fallback::new(&roots, provider) };
    let certified = x509_v1::certified_key(provider, certs, key)
        .map_err(|e| format!("Failed to load client certificate and private key: {e}"))?;
    Ok(ClientConfig::builder_with_provider(provider.clone())
        .with_protocol_versions(versions)
        .map_err(|e| format!("Failed to configure TLS versions: {e}"))?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(verifier))
        .with_client_cert_resolver(Arc::new(SingleCertAndKey::from(certified))))
}

/// Checks a server's certificate chain against the CA, not the name it is
/// for (see the module doc); a version 1 certificate, which webpki cannot
/// read, is checked by [`x509_v1`].
#[derive(Debug)]
struct ChainOnly {
    /// webpki's verifier, for everything but the name.
    chain: Arc<rustls::client::WebPkiServerVerifier>,
    /// For a version 1 certificate.
    v1: V1Fallback,
}

impl ServerCertVerifier for ChainOnly {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        // webpki checks the chain first and the name last: a name error
        // means the chain was good.
        match self.chain.verify_server_cert(end_entity, intermediates, server_name, ocsp, now) {
            Err(rustls::Error::InvalidCertificate(
                CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
            )) => Ok(ServerCertVerified::assertion()),
            checked => self.v1.leaf(checked, end_entity, now, ServerCertVerified::assertion),
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        let checked = self.chain.verify_tls12_signature(message, cert, dss);
        self.v1.handshake(checked, message, cert, dss, false)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        let checked = self.chain.verify_tls13_signature(message, cert, dss);
        self.v1.handshake(checked, message, cert, dss, true)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.chain.supported_verify_schemes()
    }
}

/// What both verifiers do when webpki refused a certificate: if it is a
/// version 1 one (which webpki cannot read), [`x509_v1`] decides instead.
#[derive(Debug)]
struct V1Fallback {
    /// The CA certificates.
    roots: Arc<RootCertStore>,
    /// The provider's algorithms.
    algs: WebPkiSupportedAlgorithms,
}

impl V1Fallback {
    fn new(roots: &Arc<RootCertStore>, provider: &CryptoProvider) -> V1Fallback {
        V1Fallback { roots: roots.clone(), algs: provider.signature_verification_algorithms }
    }

    /// webpki's verdict `checked` on the leaf `cert`, or [`x509_v1`]'s
    /// (`valid` makes the verifier's token for a good one).
    fn leaf<T>(
        &self,
        checked: Result<T, rustls::Error>,
        cert: &CertificateDer<'_>,
        now: UnixTime,
        valid: fn() -> T,
    ) -> Result<T, rustls::Error> {
        self.or_v1(checked, cert, |v1| v1.verify(&self.roots, now, &self.algs).map(|()| valid()))
    }

    /// webpki's verdict `checked` on a handshake signature made with
    /// `cert`'s key, or [`x509_v1`]'s.
    fn handshake(
        &self,
        checked: Result<HandshakeSignatureValid, rustls::Error>,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
        tls13: bool,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.or_v1(checked, cert, |v1| v1.verify_handshake(message, dss, &self.algs, tls13))
    }

    /// `checked`, or when it failed and `cert` is version 1, `v1`'s verdict.
    fn or_v1<T>(
        &self,
        checked: Result<T, rustls::Error>,
        cert: &CertificateDer<'_>,
        v1: impl FnOnce(V1Cert) -> Result<T, rustls::Error>,
    ) -> Result<T, rustls::Error> {
        match checked {
            Err(e) => V1Cert::parse(cert).map_or(Err(e), v1),
            ok => ok,
        }
    }
}

/// `tls-auth-clients`: webpki's client verifier, and [`x509_v1`] for a
/// version 1 client certificate.
#[derive(Debug)]
struct ClientV1 {
    /// webpki's verifier.
    inner: Arc<dyn ClientCertVerifier>,
    /// For a version 1 certificate.
    v1: V1Fallback,
}

impl ClientV1 {
    fn wrap(
        inner: Arc<dyn ClientCertVerifier>,
        roots: &Arc<RootCertStore>,
        provider: &CryptoProvider,
    ) -> Arc<dyn ClientCertVerifier> {
        Arc::new(ClientV1 { inner, v1: V1Fallback::new(roots, provider) })
    }
}

impl ClientCertVerifier for ClientV1 {
    fn offer_client_auth(&self) -> bool {
        self.inner.offer_client_auth()
    }

    fn client_auth_mandatory(&self) -> bool {
        self.inner.client_auth_mandatory()
    }

    fn root_hint_subjects(&self) -> &[DistinguishedName] {
        self.inner.root_hint_subjects()
    }

    fn verify_client_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        now: UnixTime,
    ) -> Result<ClientCertVerified, rustls::Error> {
        let checked = self.inner.verify_client_cert(end_entity, intermediates, now);
        self.v1.leaf(checked, end_entity, now, ClientCertVerified::assertion)
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        let checked = self.inner.verify_tls12_signature(message, cert, dss);
        self.v1.handshake(checked, message, cert, dss, false)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        let checked = self.inner.verify_tls13_signature(message, cert, dss);
        self.v1.handshake(checked, message, cert, dss, true)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.inner.supported_verify_schemes()
    }
}

/// The certificates of a PEM file (a chain: the first is the leaf).
fn load_certs(path: &str) -> Result<Vec<CertificateDer<'static>>, String> {
    let fail = |e: &dyn std::fmt::Display| format!("Failed to load certificate: {path}: {e}");
    let certs = CertificateDer::pem_file_iter(path)
        .map_err(|e| fail(&e))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| fail(&e))?;
    if certs.is_empty() {
        return Err(fail(&"no certificate in the file"));
    }
    Ok(certs)
}

/// A PEM private key: PKCS#8, PKCS#1 (RSA) or SEC1 (EC), or an encrypted
/// PKCS#8 key (`ENCRYPTED PRIVATE KEY`, what `openssl genpkey -aes256`
/// writes) opened with `pass`.
fn load_key(path: &str, pass: Option<&str>) -> Result<PrivateKeyDer<'static>, String> {
    let fail = |e: &dyn std::fmt::Display| format!("Failed to load private key: {path}: {e}");
    let text = std::fs::read(path).map_err(|e| fail(&e))?;
    if text.windows(14).any(|w| w == b"Proc-Type: 4,E") {
        return Err(fail(
            &"a legacy encrypted PEM key (Proc-Type: 4,ENCRYPTED) is not supported; \
                          convert it with `openssl pkcs8 -topk8`",
        ));
    }
    let encrypted = b"-----BEGIN ENCRYPTED PRIVATE KEY-----";
    if !text.windows(encrypted.len()).any(|w| w == encrypted) {
        return PrivateKeyDer::from_pem_slice(&text).map_err(|e| fail(&e));
    }
    let pass = pass.ok_or_else(|| fail(&"the key is encrypted and no passphrase is set"))?;
    let text = std::str::from_utf8(&text).map_err(|e| fail(&e))?;
    let (_, doc) = pkcs8::der::Document::from_pem(text).map_err(|e| fail(&e))?;
    let info = pkcs8::EncryptedPrivateKeyInfoRef::try_from(doc.as_bytes()).map_err(|e| fail(&e))?;
    let plain = info.decrypt(pass).map_err(|e| fail(&format!("cannot decrypt it: {e}")))?;
    Ok(PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(plain.as_bytes().to_vec())))
}

/// The CA certificates of `tls-ca-cert-file` and of every PEM file in
/// `tls-ca-cert-dir` (OpenSSL finds them there by hashed name; reading
/// them all trusts the same set).
fn load_roots(s: &TlsSettings) -> Result<RootCertStore, String> {
    let fail = |e: &dyn std::fmt::Display| {
        format!("Failed to configure CA certificate(s) file/directory: {e}")
    };
    let mut roots = RootCertStore::empty();
    let mut add = |path: &Path, strict: bool| -> Result<(), String> {
        let certs = match CertificateDer::pem_file_iter(path) {
            Ok(iter) => iter.collect::<Result<Vec<_>, _>>(),
            Err(e) => Err(e),
        };
        match certs {
            Ok(certs) => {
                for cert in certs {
                    roots.add(cert).map_err(|e| fail(&format!("{}: {e}", path.display())))?;
                }
                Ok(())
            }
            Err(e) if strict => Err(fail(&format!("{}: {e}", path.display()))),
            Err(_) => Ok(()),
        }
    };
    if let Some(file) = &s.ca_cert_file {
        add(Path::new(file), true)?;
    }
    if let Some(dir) = &s.ca_cert_dir {
        let entries = std::fs::read_dir(dir).map_err(|e| fail(&format!("{dir}: {e}")))?;
        let mut paths: Vec<_> = entries.filter_map(|e| e.ok()).map(|e| e.path()).collect();
        paths.sort();
        for path in paths.iter().filter(|p| p.is_file()) {
            add(path, false)?;
        }
    }
    if (s.ca_cert_file.is_some() || s.ca_cert_dir.is_some()) && roots.is_empty() {
        return Err(fail(&"no CA certificate found"));
    }
    Ok(roots)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tls13_suites_keep_the_order_and_refuse_ccm() {
        let (kept, refused) = tls13_suites(
            "TLS_CHACHA20_POLY1305_SHA256:TLS_AES_128_CCM_SHA256:TLS_AES_128_GCM_SHA256",
        )
        .unwrap();
        assert_eq!(
            kept,
            vec![suite::TLS13_CHACHA20_POLY1305_SHA256, suite::TLS13_AES_128_GCM_SHA256]
        );
        assert_eq!(refused.len(), 1);
        assert!(refused[0].starts_with("tls-ciphersuites: TLS_AES_128_CCM_SHA256 refused"));
        assert!(tls13_suites("TLS_AES_128_CCM_8_SHA256").is_err());
    }

    #[test]
    fn tls12_names_are_kept_and_expressions_refused() {
        let (kept, refused) = tls12_suites("ECDHE-RSA-AES128-GCM-SHA256:AES256-SHA");
        assert_eq!(kept, vec![suite::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256]);
        assert!(refused[0].starts_with("tls-ciphers: AES256-SHA refused"), "{refused:?}");
        assert!(!refused[0].contains("keeps rustls's suites"));
        let (kept, refused) = tls12_suites("DEFAULT:!MEDIUM");
        assert!(kept.is_empty());
        assert!(refused[0].starts_with("tls-ciphers: DEFAULT:!MEDIUM refused"));
        assert!(refused[0].contains("keeps rustls's suites"));
    }

    #[test]
    fn setup_refuses_what_redis_refuses() {
        let mut s = TlsSettings { port: 1, ..TlsSettings::default() };
        assert_eq!(setup(&s).unwrap_err(), "No tls-cert-file configured!");
        s.cert_file = Some("/c".into());
        assert_eq!(setup(&s).unwrap_err(), "No tls-key-file configured!");
        s.key_file = Some("/k".into());
        assert!(setup(&s).unwrap_err().starts_with("Either tls-ca-cert-file or tls-ca-cert-dir"));
        s.auth_clients = AuthClients::No;
        assert!(setup(&s).unwrap_err().starts_with("Failed to load certificate: /c:"));
        let off = TlsSettings { cert_file: Some("/c".into()), ..TlsSettings::default() };
        assert!(setup(&off).unwrap().acceptor.is_none());
    }
}
