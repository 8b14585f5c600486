//! Shop-wide settings kept in the store: shop identity, technicians, language, who is at the bench.

use rusqlite::{OptionalExtension, Transaction};
use serde::{Deserialize, Serialize};

use crate::error::{CoreError, CoreResult, Field, Problem};
use crate::money::Money;
use crate::store::Store;
use crate::text::{self, Lines};

pub const MAX_TECHNICIANS: usize = 100;
pub const MAX_TECHNICIAN_NAME: usize = 100;
const KEY: &str = "shop";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
pub enum Language {
    #[default]
    #[serde(rename = "en")]
    English,
    #[serde(rename = "zh-CN")]
    SimplifiedChinese,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct Settings {
    pub shop_name: String,
    pub shop_address: String,
    pub language: Language,
    pub technicians: Vec<String>,
    /// The technician signed in at this bench; every action is logged under this name.
    pub current_technician: Option<String>,
    /// What an hour of bench labour costs; jobs quoted in another currency show labour unpriced.
    #[serde(default)]
    pub labor_rate: Option<Money>,
    /// The label roll the bench's label printer takes.
    #[serde(default)]
    pub label_size: LabelSize,
}

/// The label rolls shop printers take: Brother DK 62 × 29 mm die-cut and 62 mm continuous, the
/// common 50 × 30 mm thermal label, and the 100 × 150 mm shipping label.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum LabelSize {
    #[default]
    Dk62x29,
    Dk62Continuous,
    Label50x30,
    Label100x150,
}

impl LabelSize {
    pub const ALL: [LabelSize; 4] =
        [LabelSize::Dk62x29, LabelSize::Dk62Continuous, LabelSize::Label50x30, LabelSize::Label100x150];

    /// Width and height in millimetres; a continuous roll is cut where the label ends (no height).
    pub fn millimetres(self) -> (u32, Option<u32>) {
        match self {
            LabelSize::Dk62x29 => (62, Some(29)),
            LabelSize::Dk62Continuous => (62, None),
            LabelSize::Label50x30 => (50, Some(30)),
            LabelSize::Label100x150 => (100, Some(150)),
        }
    }

    pub fn parse(id: &str) -> Option<LabelSize> {
        match id {
            "dk62x29" => Some(LabelSize::Dk62x29),
            "dk62_continuous" => Some(LabelSize::Dk62Continuous),
            "label50x30" => Some(LabelSize::Label50x30),
            "label100x150" => Some(LabelSize::Label100x150),
            _ => None,
        }
    }
}

/// Settings as the form sends them: plain text, validated here.
#[derive(Debug, Clone, Default, Deserialize)]
#[cfg_attr(feature = "bindings", derive(ts_rs::TS))]
#[serde(default, rename_all = "camelCase")]
pub struct SettingsForm {
    pub shop_name: String,
    pub shop_address: String,
    pub language: String,
    pub technicians: Vec<String>,
    pub current_technician: String,
    /// Amount per hour; empty for none.
    pub labor_rate: String,
    pub labor_currency: String,
    /// A [`LabelSize`] id; empty keeps the default.
    pub label_size: String,
}

impl SettingsForm {
    pub fn validate(&self) -> CoreResult<Settings> {
        let language = match self.language.as_str() {
            "en" => Language::English,
            "zh-CN" => Language::SimplifiedChinese,
            "" => return Err(CoreError::invalid(Field::Language, Problem::Empty)),
            _ => return Err(CoreError::invalid(Field::Language, Problem::Unknown)),
        };
        if self.technicians.len() > MAX_TECHNICIANS {
            return Err(CoreError::invalid(Field::Technician, Problem::TooLarge { max: MAX_TECHNICIANS as u64 }));
        }
        let mut technicians: Vec<String> = Vec::new();
        for raw in &self.technicians {
            let name = text::required(raw, Field::Technician, MAX_TECHNICIAN_NAME, Lines::Single)?;
            if technicians.iter().any(|t| t.to_lowercase() == name.to_lowercase()) {
                return Err(CoreError::invalid(Field::Technician, Problem::Duplicate));
            }
            technicians.push(name);
        }
        let current_technician =
            text::optional(&self.current_technician, Field::Technician, MAX_TECHNICIAN_NAME, Lines::Single)?;
        if let Some(current) = &current_technician {
            if !technicians.contains(current) {
                return Err(CoreError::invalid(Field::Technician, Problem::Unknown));
            }
        }
        let labor_rate = match self.labor_rate.trim() {
            "" => None,
            amount => Some(Money::parse(amount, &self.labor_currency, Field::LaborRate)?),
        };
        let label_size = match self.label_size.trim() {
            "" => LabelSize::default(),
            id => LabelSize::parse(id).ok_or(CoreError::invalid(Field::LabelSize, Problem::Unknown))?,
        };
        Ok(Settings {
            labor_rate,
            label_size,
            shop_name: text::optional(&self.shop_name, Field::ShopName, 200, Lines::Single)?.unwrap_or_default(),
            shop_address: text::optional(&self.shop_address, Field::ShopAddress, 1_000, Lines::Multi)?
                .unwrap_or_default(),
            language,
            technicians,
            current_technician,
        })
    }
}

impl Settings {
    pub fn load(store: &Store) -> CoreResult<Settings> {
        store.read(Settings::load_in)
    }

    /// The settings to show and work with. A stored value this build cannot read (hand-edited, say)
    /// shows as the defaults, so the shop can still open Settings and save good ones.
    pub(crate) fn load_in(tx: &Transaction) -> CoreResult<Settings> {
        match Settings::stored_in(tx) {
            Err(CoreError::Encoding(_)) => Ok(Settings::default()),
            read => read,
        }
    }

    /// The settings exactly as stored; an unreadable value is an error, so nothing writes the
    /// defaults over it.
    fn stored_in(tx: &Transaction) -> CoreResult<Settings> {
        let stored: Option<String> =
            tx.query_row("SELECT value FROM settings WHERE key = ?1", [KEY], |row| row.get(0)).optional()?;
        Ok(stored.map(|json| serde_json::from_str(&json)).transpose()?.unwrap_or_default())
    }

    pub fn save(store: &Store, form: &SettingsForm) -> CoreResult<Settings> {
        let settings = form.validate()?;
        store.write(|tx, _| settings.store_in(tx))?;
        Ok(settings)
    }

    fn store_in(&self, tx: &Transaction) -> CoreResult<()> {
        tx.execute(
            "INSERT INTO settings (key, value) VALUES (?1, ?2)
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            (KEY, serde_json::to_string(self)?),
        )?;
        Ok(())
    }

    /// Who acts at this bench: the technician seated in Settings, the one source of that name, so
    /// the window never has to carry it (a name travels intact whatever its script). `enrolling` is
    /// the name a fresh bench's first intake gives; it counts only while nobody is enrolled.
    pub(crate) fn acting_technician(store: &Store, enrolling: Option<&str>) -> CoreResult<Technician> {
        let settings = Settings::load(store)?;
        match (enrolling, settings.current_technician) {
            (Some(first), _) if settings.technicians.is_empty() => {
                Ok(Technician(text::required(first, Field::Technician, MAX_TECHNICIAN_NAME, Lines::Single)?))
            }
            (_, Some(current)) => Ok(Technician(current)),
            (_, None) => Err(CoreError::invalid(Field::Technician, Problem::Empty)),
        }
    }

    /// The name an action is logged under, checked again inside the action's transaction: the
    /// technician may have been removed from the shop since the action began. A shop with none yet
    /// enrols the first name that acts (and seats it at the bench), so a fresh install can take a
    /// card in straight away.
    pub(crate) fn technician_for(tx: &Transaction, technician: &Technician) -> CoreResult<String> {
        let actor = technician.0.clone();
        let mut settings = Settings::stored_in(tx)?;
        if settings.technicians.is_empty() {
            settings.technicians.push(actor.clone());
            settings.current_technician = Some(actor.clone());
            settings.store_in(tx)?;
        } else if !settings.technicians.contains(&actor) {
            return Err(CoreError::invalid(Field::Technician, Problem::Unknown));
        }
        Ok(actor)
    }
}

/// A technician's name as the shop knows it, resolved once per action from Settings; services take
/// this rather than a bare name, so nothing can act under a name nobody checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Technician(String);

impl Technician {
    /// A name the caller has just found among the shop's technicians.
    pub(crate) fn enrolled(name: String) -> Technician {
        Technician(name)
    }

    pub fn name(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form() -> SettingsForm {
        SettingsForm {
            shop_name: "Shenzhen GPU Revival".into(),
            shop_address: "Huaqiangbei, Futian\nShenzhen".into(),
            language: "zh-CN".into(),
            technicians: vec!["Li Wei".into(), "Zhang Min".into()],
            current_technician: "Li Wei".into(),
            labor_rate: "280".into(),
            labor_currency: "CNY".into(),
            label_size: "dk62_continuous".into(),
        }
    }

    #[test]
    fn settings_round_trip_through_the_store() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open_in_dir(dir.path()).unwrap();
        assert_eq!(Settings::load(&store).unwrap(), Settings::default());
        let saved = Settings::save(&store, &form()).unwrap();
        assert_eq!(saved.language, Language::SimplifiedChinese);
        assert_eq!(saved.labor_rate.map(|r| r.minor), Some(28_000));
        drop(store);
        let reopened = Store::open_in_dir(dir.path()).unwrap();
        assert_eq!(Settings::load(&reopened).unwrap(), saved);
    }

    #[test]
    fn the_acting_technician_is_whoever_sits_at_the_bench() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open_in_dir(dir.path()).unwrap();
        // A fresh bench: the first intake's name, else nobody.
        assert_eq!(Settings::acting_technician(&store, Some("王芳")).unwrap().name(), "王芳");
        assert!(matches!(
            Settings::acting_technician(&store, Some("\u{200B}")).unwrap_err(),
            CoreError::Invalid { field: Field::Technician, problem: Problem::Invisible }
        ));
        assert!(matches!(
            Settings::acting_technician(&store, None).unwrap_err(),
            CoreError::Invalid { field: Field::Technician, problem: Problem::Empty }
        ));
        let mut seated = form();
        seated.technicians = vec!["王芳".into(), "José".into()];
        seated.current_technician = "José".into();
        Settings::save(&store, &seated).unwrap();
        // Once people are enrolled, a name from the window changes nothing.
        assert_eq!(Settings::acting_technician(&store, Some("Mallory")).unwrap().name(), "José");
        assert_eq!(Settings::acting_technician(&store, None).unwrap().name(), "José");
    }

    #[test]
    fn bad_settings_are_refused_and_nothing_changes() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open_in_dir(dir.path()).unwrap();
        let saved = Settings::save(&store, &form()).unwrap();
        let mut bad = form();
        bad.language = "fr".into();
        assert!(Settings::save(&store, &bad).is_err());
        let mut duplicate = form();
        duplicate.technicians.push("li wei".into());
        assert!(Settings::save(&store, &duplicate).is_err());
        let mut stranger = form();
        stranger.current_technician = "Nobody".into();
        assert!(Settings::save(&store, &stranger).is_err());
        let mut rate = form();
        rate.labor_rate = "-1".into();
        assert!(matches!(
            Settings::save(&store, &rate).unwrap_err(),
            CoreError::Invalid { field: Field::LaborRate, problem: Problem::Negative }
        ));
        assert_eq!(Settings::load(&store).unwrap(), saved);
    }

    #[test]
    fn unreadable_settings_show_as_defaults_and_are_never_written_over_by_an_action() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open_in_dir(dir.path()).unwrap();
        let damaged = r#"{"shopName": "深圳芯复活", "technicians": "#;
        store
            .write(|tx, _| Ok(tx.execute("INSERT INTO settings (key, value) VALUES (?1, ?2)", (KEY, damaged))?))
            .unwrap();
        assert_eq!(Settings::load(&store).unwrap(), Settings::default());
        // A first intake would enrol its technician; here it must not store defaults over the shop's value.
        let anyone = Settings::acting_technician(&store, Some("José")).unwrap();
        assert!(store.write(|tx, _| Settings::technician_for(tx, &anyone)).is_err());
        let kept: String = store
            .read(|tx| Ok(tx.query_row("SELECT value FROM settings WHERE key = ?1", [KEY], |r| r.get(0))?))
            .unwrap();
        assert_eq!(kept, damaged);
        // Saving good settings from the Settings screen mends it.
        Settings::save(&store, &form()).unwrap();
        assert_eq!(Settings::load(&store).unwrap().shop_name, "Shenzhen GPU Revival");
    }
}
