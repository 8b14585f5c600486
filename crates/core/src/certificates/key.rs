//! The life of the shop's signing key: made once, never silently replaced once it has signed
//! anything, backed up encrypted and restored, and the key each certificate was signed with kept
//! beside it, so the shop's own certificates keep verifying after a key changes.

use super::{fingerprint_of, Certificates, ShopKey, Verification};
use crate::error::{CoreError, CoreResult};

impl Certificates<'_> {
    /// The shop's signing key. A missing one is made only while no certificate exists: after that
    /// a missing key is an error to mend from its backup, never a new key that would make every
    /// certificate already issued look forged.
    pub fn key(&self) -> CoreResult<ShopKey> {
        let data_dir = self.workshop.data_dir();
        if let Some(key) = ShopKey::load(data_dir)? {
            return Ok(key);
        }
        if !self.signing_keys()?.is_empty() {
            return Err(CoreError::KeyMissing);
        }
        ShopKey::create(data_dir)
    }

    /// Installs the key from its encrypted backup: on a bench with no key, or the same key again.
    /// A different key that has signed certificates here is never replaced.
    pub fn restore_key(&self, sealed: &[u8], passphrase: &str) -> CoreResult<ShopKey> {
        let restored = ShopKey::unsealed(sealed, passphrase)?;
        let data_dir = self.workshop.data_dir();
        if let Some(present) = ShopKey::load(data_dir)? {
            if present.public_key() == restored.public_key() {
                return Ok(present);
            }
            let signed: i64 = self.workshop.store().read(|tx| {
                Ok(tx.query_row(
                    "SELECT count(*) FROM certificates WHERE public_key = ?1",
                    [present.public_key()],
                    |r| r.get(0),
                )?)
            })?;
            if signed > 0 {
                return Err(CoreError::KeyInUse);
            }
        }
        restored.install(data_dir)?;
        Ok(restored)
    }

    /// Checks a certificate that may be this shop's with `check`: against the shop's key, then
    /// against each key its certificates here were signed with (a key since replaced), so the
    /// shop's own certificates still verify. Adds what the store knows of it.
    pub fn verify_own(&self, check: impl Fn(&str) -> Verification) -> CoreResult<Verification> {
        let mut keys: Vec<String> =
            ShopKey::load(self.workshop.data_dir())?.map(|k| k.public_key()).into_iter().collect();
        for key in self.signing_keys()? {
            if !keys.contains(&key) {
                keys.push(key);
            }
        }
        let mut first = None;
        for key in &keys {
            let verification = check(key);
            if verification.valid {
                return verification.with_local_status(self.workshop);
            }
            first.get_or_insert(verification);
        }
        match first {
            Some(verification) => verification.with_local_status(self.workshop),
            None => Ok(check("")),
        }
    }

    /// The keys the shop's certificates here were signed with (a made-up history's placeholder is
    /// not a key).
    fn signing_keys(&self) -> CoreResult<Vec<String>> {
        let stored: Vec<String> = self.workshop.store().read(|tx| {
            Ok(tx
                .prepare("SELECT DISTINCT public_key FROM certificates")?
                .query_map([], |r| r.get(0))?
                .collect::<Result<_, _>>()?)
        })?;
        Ok(stored.into_iter().filter(|key| fingerprint_of(key).is_some()).collect())
    }
}
