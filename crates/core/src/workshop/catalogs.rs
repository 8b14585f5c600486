//! The rules and procedures a shop works by, loaded and checked together once when its workshop
//! opens. Each rules file ships inside Revive; a shop may put its own copy in the data folder's
//! `rules/` (a model Revive does not know yet, a stricter limit), and its own procedures in the data
//! folder's `procedures/`, where a file replaces the shipped procedure with the same id.

use std::path::Path;
use std::sync::OnceLock;

use crate::diagnostics::{DiagnosticRules, XidCatalog};
use crate::error::{CoreError, CoreResult};
use crate::jobs::status::StatusFlow;
use crate::jobs::terms::PaperTerms;
use crate::models::ModelCatalog;
use crate::procedures::{load_dir, Procedure, ProcedureError};
use crate::rules_file::{self, RulesFile};

/// Where a shop keeps its own rules files and procedures, inside its data folder.
pub const SHOP_RULES_FOLDER: &str = "rules";
pub const SHOP_PROCEDURES_FOLDER: &str = "procedures";

#[derive(Debug)]
pub struct Catalogs {
    pub models: ModelCatalog,
    pub flow: StatusFlow,
    pub rules: DiagnosticRules,
    pub xids: XidCatalog,
    pub terms: PaperTerms,
    /// Every procedure that validated, the shop's in place of shipped ones with the same id.
    pub procedures: Vec<Procedure>,
    /// Procedure files that do not validate: shown so the shop can fix them.
    pub procedure_errors: Vec<ProcedureError>,
}

impl Catalogs {
    /// The shipped rules, each replaced by the shop's copy in `data_dir/rules/` when there is one,
    /// and the procedures of `shipped_procedures` and `data_dir/procedures/` (without a data folder,
    /// what ships). A rules file that does not validate stops the workshop (nothing could be judged
    /// right); a procedure file that does not only leaves that procedure out.
    pub fn load(data_dir: Option<&Path>, shipped_procedures: &Path) -> CoreResult<Catalogs> {
        let shop = data_dir.map(|dir| dir.join(SHOP_RULES_FOLDER));
        let mut catalogs = Catalogs::rules(shop.as_deref())?;
        let (mut procedures, mut procedure_errors) = load_dir(shipped_procedures, &catalogs.models, &catalogs.rules);
        if let Some(own) = data_dir.map(|dir| dir.join(SHOP_PROCEDURES_FOLDER)).filter(|own| own.exists()) {
            let (loaded, failed) = load_dir(&own, &catalogs.models, &catalogs.rules);
            procedures.retain(|shipped| loaded.iter().all(|p| p.id != shipped.id));
            procedures.extend(loaded);
            procedure_errors.extend(failed);
        }
        catalogs.procedures = procedures;
        catalogs.procedure_errors = procedure_errors;
        Ok(catalogs)
    }

    /// The rules built into this program and no procedures: for tools that judge a reading with no
    /// shop around them (`revive procedures check`, the history generator, unit tests).
    pub fn built_in() -> CoreResult<&'static Catalogs> {
        static BUILT_IN: OnceLock<Result<Catalogs, String>> = OnceLock::new();
        let built = BUILT_IN.get_or_init(|| Catalogs::rules(None).map_err(|error| error.to_string()));
        built.as_ref().map_err(|reason| rules_file::invalid("built-in rules", reason.clone()))
    }

    /// The rules files, each the shop's copy in `shop` when there is one, else the shipped text;
    /// no procedures yet.
    fn rules(shop: Option<&Path>) -> CoreResult<Catalogs> {
        let models = shop_or_shipped(shop, ModelCatalog::FILE, ModelCatalog::from_json)?;
        let rules = shop_or_shipped(shop, DiagnosticRules::FILE, |text| DiagnosticRules::from_json(text, &models))?;
        Ok(Catalogs {
            flow: shop_or_shipped(shop, StatusFlow::FILE, StatusFlow::from_json)?,
            xids: shop_or_shipped(shop, XidCatalog::FILE, XidCatalog::from_json)?,
            terms: shop_or_shipped(shop, PaperTerms::FILE, PaperTerms::from_json)?,
            models,
            rules,
            procedures: Vec::new(),
            procedure_errors: Vec::new(),
        })
    }

    /// The procedure with this id.
    pub fn procedure(&self, id: &str) -> Option<&Procedure> {
        self.procedures.iter().find(|p| p.id == id)
    }
}

/// Parses the shop's copy of a rules file when it has one (an error then names that copy), else
/// the shipped text.
fn shop_or_shipped<T>(
    shop: Option<&Path>,
    file: RulesFile,
    parse: impl FnOnce(&str) -> CoreResult<T>,
) -> CoreResult<T> {
    let Some(own) = shop.map(|folder| folder.join(file.name)) else { return parse(file.shipped) };
    match std::fs::read_to_string(&own) {
        Ok(text) => parse(&text).map_err(|error| match error {
            CoreError::RulesInvalid { reason, .. } => rules_file::invalid(&own.display().to_string(), reason),
            other => other,
        }),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => parse(file.shipped),
        Err(error) => Err(rules_file::invalid(&own.display().to_string(), error.to_string())),
    }
}
