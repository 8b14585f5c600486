//! Each technician's own PIN, so a sign-off or an approval names a person who just proved it was
//! them, not a name anyone at the keyboard could pick. Only an Argon2id hash is kept; wrong tries
//! are counted in the store and, past a few, pause further tries for longer and longer, so guessing
//! stays slow across restarts too.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use rusqlite::{params, OptionalExtension, Transaction};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::error::{CoreError, CoreResult, Field, Problem};
use crate::settings::{Settings, Technician};
use crate::store::{timestamp, Store};

pub const MIN_PIN: usize = 4;
pub const MAX_PIN: usize = 64;
/// Wrong tries in a row before the first pause.
pub const FREE_TRIES: u32 = 5;
const FIRST_PAUSE_SECONDS: i64 = 30;
const LONGEST_PAUSE_SECONDS: i64 = 60 * 60;

/// A technician who gave their own PIN for this action: the one way to sign off or approve.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signer(Technician);

impl Signer {
    pub fn technician(&self) -> &Technician {
        &self.0
    }

    pub fn name(&self) -> &str {
        self.0.name()
    }
}

/// Who signs and their PIN, as the window sends them for one action.
#[derive(Debug, Clone, Default, Deserialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
#[serde(default)]
pub struct Signature {
    pub technician: String,
    pub pin: String,
}

/// Whether a technician can sign yet, for the Settings screen.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct PinState {
    pub technician: String,
    pub set: bool,
    /// A colleague cleared it (a forgotten PIN); the technician sets a new one.
    pub reset_by: Option<String>,
    /// Too many wrong tries: no try counts before this time.
    pub paused_until: Option<String>,
}

/// The PIN as typed: what a Chinese keyboard gives (full-width digits) counts as the digits.
fn normalized(pin: &str) -> CoreResult<String> {
    let pin = crate::text::half_width(pin);
    if pin.is_empty() {
        return Err(CoreError::invalid(Field::Pin, Problem::Empty));
    }
    if pin.chars().any(char::is_control) {
        return Err(CoreError::invalid(Field::Pin, Problem::ControlCharacters));
    }
    let length = pin.chars().count();
    if length < MIN_PIN {
        return Err(CoreError::invalid(Field::Pin, Problem::TooShort { min: MIN_PIN as u64 }));
    }
    if length > MAX_PIN {
        return Err(CoreError::invalid(Field::Pin, Problem::TooLong { max: MAX_PIN as u64 }));
    }
    Ok(pin)
}

fn hash(pin: &str) -> CoreResult<String> {
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt).map_err(|e| CoreError::KeyUnusable(e.to_string()))?;
    let salt = SaltString::encode_b64(&salt).map_err(|e| CoreError::KeyUnusable(e.to_string()))?;
    Ok(Argon2::default()
        .hash_password(pin.as_bytes(), &salt)
        .map_err(|e| CoreError::KeyUnusable(e.to_string()))?
        .to_string())
}

/// The technician's name as the shop enrolled it; nobody else has a PIN.
fn enrolled(tx: &Transaction, name: &str) -> CoreResult<Technician> {
    let settings = Settings::load_in(tx)?;
    settings
        .technicians
        .into_iter()
        .find(|t| t == name.trim())
        .map(Technician::enrolled)
        .ok_or(CoreError::invalid(Field::Technician, Problem::Unknown))
}

struct Stored {
    hash: Option<String>,
    failures: u32,
    paused_until: Option<String>,
    reset_by: Option<String>,
}

fn stored(tx: &Transaction, name: &str) -> CoreResult<Option<Stored>> {
    Ok(tx
        .query_row("SELECT hash, failures, paused_until, reset_by FROM technician_pins WHERE name = ?1", [name], |r| {
            Ok(Stored { hash: r.get(0)?, failures: r.get(1)?, paused_until: r.get(2)?, reset_by: r.get(3)? })
        })
        .optional()?)
}

/// Checks `pin` against the technician's stored hash and counts the try: a right one clears the
/// count, a wrong one adds to it and, past [`FREE_TRIES`], pauses every try for a while. The count
/// is committed whatever the answer, so it is the outer result; the inner one is the check's.
fn try_pin(tx: &Transaction, now: OffsetDateTime, name: &str, pin: &str) -> CoreResult<CoreResult<()>> {
    let Some(Stored { hash: Some(hash), failures, paused_until, .. }) = stored(tx, name)? else {
        return Ok(Err(CoreError::invalid(Field::Pin, Problem::NotSet)));
    };
    if let Some(seconds) = paused_until.as_deref().and_then(|until| seconds_until(until, now)) {
        return Ok(Err(CoreError::invalid(Field::Pin, Problem::Paused { seconds })));
    }
    let parsed = PasswordHash::new(&hash).map_err(|e| CoreError::KeyUnusable(e.to_string()))?;
    if Argon2::default().verify_password(pin.as_bytes(), &parsed).is_ok() {
        tx.execute("UPDATE technician_pins SET failures = 0, paused_until = NULL WHERE name = ?1", [name])?;
        return Ok(Ok(()));
    }
    let failures = failures.saturating_add(1);
    let pause = (failures >= FREE_TRIES).then(|| {
        let doublings = (failures - FREE_TRIES).min(16);
        (FIRST_PAUSE_SECONDS << doublings).min(LONGEST_PAUSE_SECONDS)
    });
    let until = pause.map(|seconds| timestamp(now + time::Duration::seconds(seconds)));
    tx.execute(
        "UPDATE technician_pins SET failures = ?1, paused_until = ?2 WHERE name = ?3",
        params![failures, until, name],
    )?;
    Ok(Err(match pause {
        Some(seconds) => CoreError::invalid(Field::Pin, Problem::Paused { seconds: seconds as u64 }),
        None => CoreError::invalid(Field::Pin, Problem::Wrong { tries_left: u64::from(FREE_TRIES - failures) }),
    }))
}

/// Whole seconds from `now` to a stored time still ahead; none once it has passed.
fn seconds_until(until: &str, now: OffsetDateTime) -> Option<u64> {
    let until = OffsetDateTime::parse(until, &time::format_description::well_known::Rfc3339).ok()?;
    let left = (until - now).whole_seconds();
    (left > 0).then_some(left as u64)
}

/// The PINs of the shop: signing in with one, setting and resetting them.
pub struct Pins<'s> {
    store: &'s Store,
}

impl<'s> Pins<'s> {
    pub fn new(store: &'s Store) -> Pins<'s> {
        Pins { store }
    }

    /// The technician `name`, if `pin` is theirs.
    pub fn sign_in(&self, name: &str, pin: &str) -> CoreResult<Signer> {
        let pin = normalized(pin)?;
        self.store.write(|tx, now| {
            let technician = enrolled(tx, name)?;
            Ok(try_pin(tx, now, technician.name(), &pin)?.map(|()| Signer(technician)))
        })?
    }

    /// The technician the signature names, if its PIN is theirs.
    pub fn check(&self, signature: &Signature) -> CoreResult<Signer> {
        self.sign_in(&signature.technician, &signature.pin)
    }

    /// Sets the technician's PIN. Changing one needs the current one (a wrong one counts as a try);
    /// the first, or the first after a colleague's reset, needs none.
    pub fn set(&self, name: &str, current: &str, new: &str) -> CoreResult<()> {
        let new = normalized(new)?;
        let current = match current.trim() {
            "" => None,
            typed => Some(normalized(typed)?),
        };
        let hashed = hash(&new)?;
        self.store.write(|tx, now| {
            let technician = enrolled(tx, name)?;
            let has_pin = stored(tx, technician.name())?.is_some_and(|s| s.hash.is_some());
            match (has_pin, current) {
                (true, None) => return Ok(Err(CoreError::invalid(Field::CurrentPin, Problem::Empty))),
                (true, Some(current)) => {
                    if let Err(error) = try_pin(tx, now, technician.name(), &current)? {
                        return Ok(Err(relabel(error, Field::CurrentPin)));
                    }
                }
                (false, _) => {}
            }
            tx.execute(
                "INSERT INTO technician_pins (name, hash, set_at) VALUES (?1, ?2, ?3)
                 ON CONFLICT (name) DO UPDATE SET hash = excluded.hash, set_at = excluded.set_at, reset_by = NULL,
                    failures = 0, paused_until = NULL",
                params![technician.name(), hashed, timestamp(now)],
            )?;
            Ok(Ok(()))
        })?
    }

    /// Clears a colleague's forgotten PIN, under the name of whoever signed in to do it; the
    /// technician sets a new one before signing anything again.
    pub fn reset(&self, name: &str, by: &Signer) -> CoreResult<()> {
        self.store.write(|tx, now| {
            let technician = enrolled(tx, name)?;
            if technician.name() == by.name() {
                return Err(CoreError::invalid(Field::Technician, Problem::NotSomeoneElse));
            }
            tx.execute(
                "INSERT INTO technician_pins (name, hash, set_at, reset_by) VALUES (?1, NULL, ?2, ?3)
                 ON CONFLICT (name) DO UPDATE SET hash = NULL, set_at = excluded.set_at, reset_by = excluded.reset_by,
                    failures = 0, paused_until = NULL",
                params![technician.name(), timestamp(now), by.name()],
            )?;
            Ok(())
        })
    }

    /// Every enrolled technician and whether they can sign.
    pub fn states(&self) -> CoreResult<Vec<PinState>> {
        let now = OffsetDateTime::now_utc();
        self.store.read(|tx| {
            Settings::load_in(tx)?
                .technicians
                .into_iter()
                .map(|technician| {
                    let stored = stored(tx, &technician)?;
                    Ok(PinState {
                        set: stored.as_ref().is_some_and(|s| s.hash.is_some()),
                        reset_by: stored.as_ref().and_then(|s| s.reset_by.clone()),
                        paused_until: stored
                            .and_then(|s| s.paused_until)
                            .filter(|until| seconds_until(until, now).is_some()),
                        technician,
                    })
                })
                .collect()
        })
    }
}

/// The same failure pointed at another field of the form (the current PIN, not the new one).
fn relabel(error: CoreError, field: Field) -> CoreError {
    match error {
        CoreError::Invalid { problem, .. } => CoreError::invalid(field, problem),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::settings::SettingsForm;

    fn shop(dir: &std::path::Path) -> Store {
        let store = Store::open_in_dir(dir).unwrap();
        let form = SettingsForm {
            language: "zh-CN".into(),
            technicians: vec!["王芳".into(), "José".into()],
            current_technician: "王芳".into(),
            ..Default::default()
        };
        Settings::save(&store, &form).unwrap();
        store
    }

    fn problem(error: CoreError) -> (Field, Problem) {
        match error {
            CoreError::Invalid { field, problem } => (field, problem),
            other => panic!("expected invalid input, got {other:?}"),
        }
    }

    #[test]
    fn a_pin_typed_full_width_signs_in_and_is_stored_only_as_an_argon2id_hash() {
        let dir = tempfile::tempdir().unwrap();
        let store = shop(dir.path());
        let pins = Pins::new(&store);
        assert_eq!(problem(pins.sign_in("王芳", "2468").unwrap_err()), (Field::Pin, Problem::NotSet));
        pins.set("王芳", "", "２４６８").unwrap();
        assert_eq!(pins.sign_in("王芳", "2468").unwrap().name(), "王芳");
        assert_eq!(pins.sign_in(" 王芳 ", "２４６８").unwrap().name(), "王芳");
        let stored: String =
            store.read(|tx| Ok(tx.query_row("SELECT hash FROM technician_pins", [], |r| r.get(0))?)).unwrap();
        assert!(stored.starts_with("$argon2id$"), "{stored}");
        assert!(!stored.contains("2468"));
        // Nobody outside the shop has a PIN, and a short one is refused before anything is written.
        assert_eq!(problem(pins.set("Mallory", "", "9999").unwrap_err()), (Field::Technician, Problem::Unknown));
        assert_eq!(problem(pins.set("José", "", "１２").unwrap_err()), (Field::Pin, Problem::TooShort { min: 4 }));
        assert!(!pins.states().unwrap().iter().find(|s| s.technician == "José").unwrap().set);
    }

    #[test]
    fn changing_a_pin_needs_the_current_one() {
        let dir = tempfile::tempdir().unwrap();
        let store = shop(dir.path());
        let pins = Pins::new(&store);
        pins.set("José", "", "1357").unwrap();
        assert_eq!(problem(pins.set("José", "", "0000").unwrap_err()), (Field::CurrentPin, Problem::Empty));
        assert_eq!(
            problem(pins.set("José", "2222", "0000").unwrap_err()),
            (Field::CurrentPin, Problem::Wrong { tries_left: FREE_TRIES as u64 - 1 })
        );
        assert!(pins.sign_in("José", "0000").is_err());
        pins.set("José", "1357", "0000").unwrap();
        assert!(pins.sign_in("José", "0000").is_ok());
        assert!(pins.sign_in("José", "1357").is_err());
    }

    #[test]
    fn wrong_tries_pause_signing_in_even_with_the_right_pin_and_across_a_restart() {
        let dir = tempfile::tempdir().unwrap();
        let store = shop(dir.path());
        Pins::new(&store).set("王芳", "", "8642").unwrap();
        for left in (1..FREE_TRIES as u64).rev() {
            assert_eq!(
                problem(Pins::new(&store).sign_in("王芳", "0000").unwrap_err()),
                (Field::Pin, Problem::Wrong { tries_left: left })
            );
        }
        assert_eq!(
            problem(Pins::new(&store).sign_in("王芳", "0000").unwrap_err()),
            (Field::Pin, Problem::Paused { seconds: 30 })
        );
        drop(store);
        let store = Store::open_in_dir(dir.path()).unwrap();
        let (field, paused) = problem(Pins::new(&store).sign_in("王芳", "8642").unwrap_err());
        assert_eq!(field, Field::Pin);
        assert!(matches!(paused, Problem::Paused { seconds } if (1..=30).contains(&seconds)), "{paused:?}");
        assert!(Pins::new(&store).states().unwrap()[0].paused_until.is_some());
        // The pause over, a wrong try pauses twice as long.
        store
            .write(|tx, _| Ok(tx.execute("UPDATE technician_pins SET paused_until = '2000-01-01T00:00:00.000Z'", [])?))
            .unwrap();
        assert_eq!(
            problem(Pins::new(&store).sign_in("王芳", "1111").unwrap_err()),
            (Field::Pin, Problem::Paused { seconds: 60 })
        );
    }

    #[test]
    fn a_colleague_resets_a_forgotten_pin_under_their_own_name() {
        let dir = tempfile::tempdir().unwrap();
        let store = shop(dir.path());
        let pins = Pins::new(&store);
        pins.set("王芳", "", "8642").unwrap();
        pins.set("José", "", "1357").unwrap();
        let wang = pins.sign_in("王芳", "8642").unwrap();
        assert_eq!(problem(pins.reset("王芳", &wang).unwrap_err()), (Field::Technician, Problem::NotSomeoneElse));
        pins.reset("José", &wang).unwrap();
        let jose = pins.states().unwrap().into_iter().find(|s| s.technician == "José").unwrap();
        assert_eq!((jose.set, jose.reset_by.as_deref()), (false, Some("王芳")));
        assert_eq!(problem(pins.sign_in("José", "1357").unwrap_err()), (Field::Pin, Problem::NotSet));
        pins.set("José", "", "2468").unwrap();
        assert!(pins.sign_in("José", "2468").is_ok());
    }
}
