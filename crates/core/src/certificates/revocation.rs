//! Withdrawing a certificate, and the signed status list a buyer checks certificates against: the
//! numbers the shop superseded or revoked, and when, signed with the shop's key in a domain of its
//! own so no certificate's signature can pass for a list.

use rusqlite::params;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::issue::certificate_in;
use super::{Certificate, Certificates, RevocationReason, ShopKey, SignedDocument};
use crate::error::{CoreError, CoreResult, Field, Problem};
use crate::jobs::events::{self, Event};
use crate::settings::{Settings, Technician};
use crate::store::timestamp;
use crate::text::{self, Lines};

/// What a status list calls itself; `version` rises when its shape changes.
pub const STATUS_LIST_FORMAT: &str = "revive.certificate-status";
const STATUS_LIST_VERSION: u32 = 1;
/// The signing domain of status lists.
const STATUS_LIST_DOMAIN: &str = "revive-status-list/1";
const MAX_NOTE: usize = 1_000;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct Revocation {
    pub revoked_at: String,
    pub revoked_by: String,
    pub reason: RevocationReason,
    pub note: Option<String>,
}

/// Every certificate of the shop that is no longer the word on its card.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct StatusList {
    pub format: String,
    pub version: u32,
    pub shop: String,
    pub issued_at: String,
    pub entries: Vec<StatusEntry>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct StatusEntry {
    pub number: String,
    pub superseded_by: Option<String>,
    pub revoked: Option<Revocation>,
}

impl StatusList {
    /// The list in `signed`, if the shop with `public_key` signed it.
    pub fn verified(signed: &SignedDocument, public_key: &str) -> Option<StatusList> {
        if signed.verify_in_domain(STATUS_LIST_DOMAIN, public_key) != super::Verdict::Valid {
            return None;
        }
        serde_json::from_str::<StatusList>(&signed.document).ok().filter(|list| list.format == STATUS_LIST_FORMAT)
    }

    /// The list signed with the shop's key, in the domain of status lists.
    pub fn sign(&self, key: &ShopKey) -> CoreResult<SignedDocument> {
        key.sign_in_domain(STATUS_LIST_DOMAIN, self)
    }

    pub fn entry(&self, number: &str) -> Option<&StatusEntry> {
        self.entries.iter().find(|entry| entry.number == number)
    }
}

impl Certificates<'_> {
    /// Withdraws certificate `number`: it stays in the records, and every check from now on (here,
    /// and against an exported status list) says it was revoked, when and why.
    pub fn revoke(
        &self,
        number: &str,
        reason: RevocationReason,
        note: &str,
        by: &Technician,
    ) -> CoreResult<Certificate> {
        let note = text::optional(note, Field::Note, MAX_NOTE, Lines::Multi)?;
        self.workshop.store().write(|tx, now| {
            let actor = Settings::technician_for(tx, by)?;
            let certificate = certificate_in(tx, number)?;
            if certificate.revoked.is_some() {
                return Err(CoreError::invalid(Field::Certificate, Problem::Duplicate));
            }
            let at = timestamp(now);
            tx.execute(
                "INSERT INTO certificate_revocations (number, revoked_at, revoked_by, reason, note)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
                params![number, at, actor, reason.id(), note],
            )?;
            let revoked = Event::CertificateRevoked { number: number.to_owned(), reason };
            events::append(tx, certificate.job_id, &at, &actor, &revoked)?;
            certificate_in(tx, number)
        })
    }

    /// The shop's status list, signed: every superseded or revoked certificate.
    pub fn status_list(&self) -> CoreResult<SignedDocument> {
        let key = self.key()?;
        let entries = self.workshop.store().read(|tx| {
            let numbers: Vec<String> = tx
                .prepare(
                    "SELECT c.number FROM certificates c LEFT JOIN certificate_revocations r ON r.number = c.number
                     WHERE c.superseded_by IS NOT NULL OR r.number IS NOT NULL ORDER BY c.number",
                )?
                .query_map([], |r| r.get(0))?
                .collect::<Result<_, _>>()?;
            numbers
                .iter()
                .map(|number| {
                    let certificate = certificate_in(tx, number)?;
                    Ok(StatusEntry {
                        number: certificate.number,
                        superseded_by: certificate.superseded_by,
                        revoked: certificate.revoked,
                    })
                })
                .collect::<CoreResult<Vec<_>>>()
        })?;
        let list = StatusList {
            format: STATUS_LIST_FORMAT.to_owned(),
            version: STATUS_LIST_VERSION,
            shop: self.workshop.settings()?.shop_name,
            issued_at: timestamp(OffsetDateTime::now_utc()),
            entries,
        };
        list.sign(&key)
    }
}
