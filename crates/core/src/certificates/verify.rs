//! What checking a certificate tells the person holding it: valid or not and why, and, when valid,
//! the content the shop signed so they can compare it with the paper in their hand.

use serde::Serialize;

use super::{
    CertificateDocument, CertifiedFacts, Invalidity, QrPayload, Revocation, SignedDocument, StatusList, Verdict,
};
use crate::certificates::signing::fingerprint_of;
use crate::error::{CoreError, CoreResult};
use crate::workshop::Workshop;

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct Verification {
    pub valid: bool,
    pub reason: Option<Invalidity>,
    pub number: Option<String>,
    pub sha256: Option<String>,
    /// The fingerprint of the key it was checked with.
    pub key_fingerprint: Option<String>,
    /// What the signature binds to the card (certificates from schema 2): shown big, so whoever
    /// holds the card compares them with its own label.
    pub facts: Option<CertifiedFacts>,
    /// Valid, and from the simulated bench: a training or demo certificate, not a repair one.
    pub simulated: bool,
    /// The signed content; only for a valid document (a QR code carries no content).
    pub document: Option<CertificateDocument>,
    /// This shop's store, or its status list, knows a newer certificate for the same job.
    pub superseded_by: Option<String>,
    /// The shop withdrew it (then it is not valid), when and why.
    pub revoked: Option<Revocation>,
}

impl Verification {
    pub fn invalid(reason: Invalidity, public_key: &str) -> Verification {
        Verification {
            valid: false,
            reason: Some(reason),
            number: None,
            sha256: None,
            key_fingerprint: fingerprint_of(public_key),
            facts: None,
            simulated: false,
            document: None,
            superseded_by: None,
            revoked: None,
        }
    }

    fn of(verdict: Verdict, number: Option<String>, sha256: &str, public_key: &str) -> Verification {
        let reason = match verdict {
            Verdict::Valid => None,
            Verdict::Invalid(reason) => Some(reason),
        };
        Verification {
            valid: reason.is_none(),
            reason,
            number,
            sha256: Some(sha256.to_owned()),
            key_fingerprint: fingerprint_of(public_key),
            facts: None,
            simulated: false,
            document: None,
            superseded_by: None,
            revoked: None,
        }
    }

    /// Adds what this shop's store knows of the same certificate (same number and hash).
    pub fn with_local_status(self, workshop: &Workshop) -> CoreResult<Verification> {
        if let (true, Some(number), Some(sha256)) = (self.valid, &self.number, &self.sha256) {
            match workshop.certificates().get(number) {
                Ok(known) if &known.signed.sha256 == sha256 => {
                    return Ok(self.with_status(known.superseded_by, known.revoked));
                }
                // Another shop's certificate, or one this store never issued: nothing to add.
                Ok(_) | Err(CoreError::Invalid { .. }) => {}
                Err(error) => return Err(error),
            }
        }
        Ok(self)
    }

    /// Adds what the shop's signed status list says of this certificate.
    pub fn with_status_list(self, list: &StatusList) -> Verification {
        match self.number.as_deref().and_then(|number| list.entry(number)).filter(|_| self.valid) {
            Some(entry) => {
                let (superseded_by, revoked) = (entry.superseded_by.clone(), entry.revoked.clone());
                self.with_status(superseded_by, revoked)
            }
            None => self,
        }
    }

    /// A revoked certificate is no longer valid, whatever its signature.
    fn with_status(mut self, superseded_by: Option<String>, revoked: Option<Revocation>) -> Verification {
        self.superseded_by = superseded_by;
        if revoked.is_some() {
            self.valid = false;
            self.reason = Some(Invalidity::Revoked);
        }
        self.revoked = revoked;
        self
    }
}

/// Checks a signed document (from a PDF's attachment or a JSON file).
pub fn verify_document(signed: &SignedDocument, public_key: &str) -> Verification {
    let verdict = signed.verify(public_key);
    let number = signed.qr_payload(public_key).ok().map(|payload| payload.number);
    let mut verification = Verification::of(verdict, number, &signed.sha256, public_key);
    if verification.valid {
        match serde_json::from_str::<CertificateDocument>(&signed.document) {
            Ok(document) => {
                verification.facts = signed.facts(public_key);
                verification.simulated = document.simulated;
                verification.document = Some(document);
            }
            // Signed by this key but not a certificate Revive can read: not something to rely on.
            Err(_) => return Verification::invalid(Invalidity::NotACertificate, public_key),
        }
    }
    verification
}

/// Checks a QR code's text as a scanner typed it.
pub fn verify_payload(text: &str, public_key: &str) -> Verification {
    match QrPayload::parse(text) {
        Ok(payload) => {
            let mut verification =
                Verification::of(payload.verify(public_key), Some(payload.number.clone()), &payload.sha256, public_key);
            if verification.valid {
                verification.simulated = payload.facts.as_ref().is_some_and(|facts| facts.simulated);
                verification.facts = payload.facts;
            }
            verification
        }
        Err(reason) => Verification::invalid(reason, public_key),
    }
}
