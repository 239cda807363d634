//! X.509 version 1 certificates: accepted where redis-sentinel accepts
//! them, checked as strictly as the rest.
//!
//! `openssl x509 -req` without `-extfile` (or `-copy_extensions`) signs a
//! version 1 certificate: no extensions at all, so no basicConstraints, no
//! subjectAltName, no key usage. OpenSSL, and so redis-server and
//! redis-sentinel, accept one as a server or client certificate; webpki,
//! the verifier of rustls, parses version 3 only and refuses it
//! (`UnsupportedCertVersion`). A drop-in replacement must take what the
//! servers it watches present, so rsentinel checks a version 1 *leaf* here,
//! the way OpenSSL's default verification does (what redis 7.0.15's
//! `tls.c` asks for: `SSL_VERIFY_PEER` against the configured CA, no host
//! name, no purpose beyond OpenSSL's default, which a certificate without
//! extensions meets):
//! - it is strict DER and version 1 (no version field, no unique ids, no
//!   extensions), and its two signature algorithm fields agree;
//! - its issuer is, byte for byte, the subject of a CA certificate of
//!   `tls-ca-cert-file` / `tls-ca-cert-dir` (a trust anchor without name
//!   constraints), and its signature verifies under that CA's key with one
//!   of the provider's webpki algorithms (the ones rustls uses for every
//!   other certificate; the algorithm is the one the certificate names);
//! - the time is within its validity dates.
//!
//! Only a leaf signed directly by a configured CA is taken: a version 1
//! leaf under an intermediate CA is refused (`UnknownIssuer`), since its
//! chain could only be checked by a second path builder. These checks run
//! only for a certificate webpki could not parse because it is version 1:
//! a version 3 chain is verified by webpki alone, as before. CA
//! certificates of version 1 need nothing here: webpki takes them as trust
//! anchors. rustls also refuses our own version 1 certificate at start
//! (it reads the public key from it to match the private key), so
//! [`certified_key`] matches the two here.

use std::sync::Arc;

use rustls::client::danger::HandshakeSignatureValid;
use rustls::crypto::{
    CryptoProvider, WebPkiSupportedAlgorithms, verify_tls13_signature_with_raw_key,
};
use rustls::pki_types::{
    CertificateDer, PrivateKeyDer, SignatureVerificationAlgorithm, SubjectPublicKeyInfoDer,
    UnixTime,
};
use rustls::sign::CertifiedKey;
use rustls::{CertificateError, DigitallySignedStruct, Error, PeerMisbehaved, RootCertStore};
use webpki::RawPublicKeyEntity;
use x509_cert::der::asn1::AnyRef;
use x509_cert::der::{Decode, Encode};
use x509_cert::{Certificate, Version};

/// The parts of a version 1 certificate the checks need, as DER.
#[derive(Debug, PartialEq)]
pub struct V1Cert {
    /// The signed part (`tbsCertificate`), tag and length included.
    tbs: Vec<u8>,
    /// The contents of the issuer `Name` (what webpki compares).
    issuer: Vec<u8>,
    /// The contents of the signature `AlgorithmIdentifier`.
    signature_alg: Vec<u8>,
    /// The signature bits.
    signature: Vec<u8>,
    /// `SubjectPublicKeyInfo`, tag and length included.
    spki: Vec<u8>,
    /// Validity, in seconds since the epoch.
    not_before: u64,
    /// Validity, in seconds since the epoch.
    not_after: u64,
}

impl V1Cert {
    /// The certificate, if `der` is a version 1 certificate in strict DER
    /// (it re-encodes to the same bytes, so what the checks read is what
    /// was signed); `None` for anything else, version 3 included.
    pub fn parse(der: &[u8]) -> Option<V1Cert> {
        let cert = Certificate::from_der(der).ok()?;
        if cert.to_der().ok()?.as_slice() != der {
            return None;
        }
        let tbs = cert.tbs_certificate();
        let is_v1 = tbs.version() == Version::V1
            && tbs.extensions().is_none()
            && tbs.issuer_unique_id().is_none()
            && tbs.subject_unique_id().is_none();
        if !is_v1 || tbs.signature() != cert.signature_algorithm() {
            return None;
        }
        Some(V1Cert {
            tbs: tbs.to_der().ok()?,
            issuer: contents(&tbs.issuer().to_der().ok()?)?,
            signature_alg: contents(&cert.signature_algorithm().to_der().ok()?)?,
            signature: cert.signature().as_bytes()?.to_vec(),
            spki: tbs.subject_public_key_info().to_der().ok()?,
            not_before: tbs.validity().not_before.to_unix_duration().as_secs(),
            not_after: tbs.validity().not_after.to_unix_duration().as_secs(),
        })
    }

    /// Checks the certificate as a leaf: signed by one of `roots`, valid at
    /// `now` (see the module doc).
    pub fn verify(
        &self,
        roots: &RootCertStore,
        now: UnixTime,
        algs: &WebPkiSupportedAlgorithms,
    ) -> Result<(), Error> {
        let issuers = roots
            .roots
            .iter()
            .filter(|ca| ca.name_constraints.is_none() && ca.subject.as_ref() == self.issuer);
        let mut found = false;
        for ca in issuers {
            found = true;
            let key = webpki::spki_for_anchor(ca);
            if self.signed_by(&key, algs) {
                return self.check_dates(now);
            }
        }
        Err(match found {
            true => CertificateError::BadSignature.into(),
            false => CertificateError::UnknownIssuer.into(),
        })
    }

    /// Whether the signature verifies under `key` with the algorithm the
    /// certificate names.
    fn signed_by(
        &self,
        key: &SubjectPublicKeyInfoDer<'_>,
        algs: &WebPkiSupportedAlgorithms,
    ) -> bool {
        let Ok(key) = RawPublicKeyEntity::try_from(key) else { return false };
        algs.all
            .iter()
            .filter(|alg| alg.signature_alg_id().as_ref() == self.signature_alg)
            .any(|alg| key.verify_signature(*alg, &self.tbs, &self.signature).is_ok())
    }

    fn check_dates(&self, now: UnixTime) -> Result<(), Error> {
        if now.as_secs() < self.not_before {
            return Err(CertificateError::NotValidYet.into());
        }
        if now.as_secs() > self.not_after {
            return Err(CertificateError::Expired.into());
        }
        Ok(())
    }

    /// Checks a handshake signature made with the certificate's key, as
    /// rustls checks one for a version 3 certificate (TLS 1.3: rustls's
    /// own check for a bare key; TLS 1.2: any algorithm mapped to the
    /// scheme whose key type is the certificate's).
    pub fn verify_handshake(
        &self,
        message: &[u8],
        dss: &DigitallySignedStruct,
        algs: &WebPkiSupportedAlgorithms,
        tls13: bool,
    ) -> Result<HandshakeSignatureValid, Error> {
        let spki = SubjectPublicKeyInfoDer::from(self.spki.as_slice());
        if tls13 {
            return verify_tls13_signature_with_raw_key(message, &spki, dss, algs);
        }
        let candidates = algs
            .mapping
            .iter()
            .find(|(scheme, _)| *scheme == dss.scheme)
            .map(|(_, algs)| *algs)
            .ok_or(PeerMisbehaved::SignedHandshakeWithUnadvertisedSigScheme)?;
        let key = RawPublicKeyEntity::try_from(&spki)
            .map_err(|_| Error::from(CertificateError::BadEncoding))?;
        let signed = |alg: &&dyn SignatureVerificationAlgorithm| {
            key.verify_signature(*alg, message, dss.signature()).is_ok()
        };
        match candidates.iter().any(signed) {
            true => Ok(HandshakeSignatureValid::assertion()),
            false => Err(CertificateError::BadSignature.into()),
        }
    }
}

/// The contents of a DER value (what follows its tag and length).
fn contents(der: &[u8]) -> Option<Vec<u8>> {
    Some(AnyRef::from_der(der).ok()?.value().to_vec())
}

/// Our own certificate chain and key, for rustls, after checking that they
/// belong together. rustls's own check reads the key from the certificate
/// with webpki, which refuses version 1: such a certificate's key is read
/// here instead. The error says which and why.
pub fn certified_key(
    provider: &CryptoProvider,
    certs: Vec<CertificateDer<'static>>,
    key: PrivateKeyDer<'static>,
) -> Result<Arc<CertifiedKey>, String> {
    let signing = provider.key_provider.load_private_key(key).map_err(|e| e.to_string())?;
    let public = signing.public_key().map(|p| p.as_ref().to_vec());
    let v1 = certs.first().and_then(|leaf| V1Cert::parse(leaf));
    let certified = CertifiedKey::new(certs, signing);
    match v1 {
        None => certified.keys_match().map_err(|e| e.to_string())?,
        Some(v1) if public.is_some_and(|p| p == v1.spki) => {}
        Some(_) => return Err("the private key does not match the certificate".into()),
    }
    Ok(Arc::new(certified))
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use rustls::crypto::ring::default_provider;
    use rustls::pki_types::pem::PemObject;

    use super::*;

    // Made with `openssl x509 -req` (v1 without `-extfile`, v3 with it),
    // valid for a hundred years from 30 Nov 2026; the keys are test keys.
    const CA: &[u8] = include_bytes!("testdata/x509_v1/ca.crt");
    const V1: &[u8] = include_bytes!("testdata/x509_v1/v1.crt");
    const V1_KEY: &[u8] = include_bytes!("testdata/x509_v1/v1.key");
    const V3: &[u8] = include_bytes!("testdata/x509_v1/v3.crt");
    const OTHER_KEY: &[u8] = include_bytes!("testdata/x509_v1/other.key");

    fn der(pem: &[u8]) -> CertificateDer<'static> {
        CertificateDer::from_pem_slice(pem).expect("a PEM certificate")
    }

    fn roots() -> RootCertStore {
        let mut roots = RootCertStore::empty();
        roots.add(der(CA)).expect("the CA");
        roots
    }

    fn at(secs: u64) -> UnixTime {
        UnixTime::since_unix_epoch(Duration::from_secs(secs))
    }

    #[test]
    fn a_v1_leaf_of_the_ca_is_valid_within_its_dates() {
        let algs = default_provider().signature_verification_algorithms;
        let v1 = V1Cert::parse(&der(V1)).expect("a version 1 certificate");
        assert_eq!(v1.verify(&roots(), at(v1.not_before), &algs), Ok(()));
        assert_eq!(v1.verify(&roots(), at(v1.not_after), &algs), Ok(()));
        let early = v1.verify(&roots(), at(v1.not_before - 1), &algs);
        assert_eq!(early, Err(CertificateError::NotValidYet.into()));
        let late = v1.verify(&roots(), at(v1.not_after + 1), &algs);
        assert_eq!(late, Err(CertificateError::Expired.into()));
    }

    #[test]
    fn another_issuer_or_a_changed_byte_is_refused() {
        let algs = default_provider().signature_verification_algorithms;
        let v1 = V1Cert::parse(&der(V1)).expect("a version 1 certificate");
        let now = at(v1.not_before + 1);
        let none = v1.verify(&RootCertStore::empty(), now, &algs);
        assert_eq!(none, Err(CertificateError::UnknownIssuer.into()));
        // A byte of the serial number (still DER, no longer what was signed).
        let mut changed = der(V1).to_vec();
        assert_eq!(changed[7..9], [0x02, 0x14], "the serial's tag and length");
        changed[12] ^= 1;
        let changed = V1Cert::parse(&changed).expect("still a version 1 certificate");
        let refused = changed.verify(&roots(), now, &algs);
        assert_eq!(refused, Err(CertificateError::BadSignature.into()));
    }

    #[test]
    fn version_3_and_garbage_are_not_taken() {
        assert_eq!(V1Cert::parse(&der(V3)), None);
        assert_eq!(V1Cert::parse(&der(CA)), None);
        assert_eq!(V1Cert::parse(b"not a certificate"), None);
        assert_eq!(V1Cert::parse(&[]), None);
    }

    #[test]
    fn our_v1_certificate_is_matched_with_its_key() {
        let key = PrivateKeyDer::from_pem_slice(V1_KEY).expect("a PEM key");
        let provider = default_provider();
        assert!(certified_key(&provider, vec![der(V1)], key.clone_key()).is_ok());
        // The v3 certificate has the same key (same request): rustls checks it.
        assert!(certified_key(&provider, vec![der(V3)], key.clone_key()).is_ok());
        let other = PrivateKeyDer::from_pem_slice(OTHER_KEY).expect("a PEM key");
        let err = certified_key(&provider, vec![der(V1)], other).unwrap_err();
        assert_eq!(err, "the private key does not match the certificate");
    }

    #[test]
    fn contents_strip_the_tag_and_length() {
        // SEQUENCE { NULL }
        assert_eq!(contents(&[0x30, 0x02, 0x05, 0x00]), Some(vec![0x05, 0x00]));
        assert_eq!(contents(&[0x30, 0x05, 0x05]), None);
    }
}
