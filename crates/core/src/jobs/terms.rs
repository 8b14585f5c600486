//! The terms a shop prints on the papers it hands its customer, in both languages, from
//! `rules/paper-terms.json`: a shop words its own terms without a new build.

use serde::Deserialize;

use crate::diagnostics::Text;
use crate::error::CoreResult;
use crate::rules_file::{self, RulesFile};

const SCHEMA_VERSION: u64 = 1;
/// More terms than this do not fit the page under the rest of a receipt.
const MAX_TERMS: usize = 6;
/// Characters in one term, in either language.
const MAX_TERM: usize = 400;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PaperTerms {
    #[serde(rename = "schema_version")]
    _schema_version: u32,
    pub intake_receipt: Vec<Text>,
    pub hand_over_slip: Vec<Text>,
}

impl PaperTerms {
    pub const FILE: RulesFile =
        RulesFile { name: "paper-terms.json", shipped: include_str!("../../../../rules/paper-terms.json") };

    pub fn from_json(text: &str) -> CoreResult<PaperTerms> {
        let terms: PaperTerms = rules_file::parse(Self::FILE, text, SCHEMA_VERSION)?;
        for (paper, list) in [("intake_receipt", &terms.intake_receipt), ("hand_over_slip", &terms.hand_over_slip)] {
            if list.len() > MAX_TERMS {
                return Err(Self::FILE.invalid(format!("{paper} has {} terms; at most {MAX_TERMS} fit", list.len())));
            }
            for (index, term) in list.iter().enumerate() {
                for (language, wording) in [("en", &term.en), ("zh-CN", &term.zh_cn)] {
                    let length = wording.trim().chars().count();
                    if length == 0 || length > MAX_TERM {
                        return Err(Self::FILE.invalid(format!(
                            "{paper} term {} in {language} has {length} characters; 1 to {MAX_TERM} print",
                            index + 1
                        )));
                    }
                }
            }
        }
        Ok(terms)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_terms_load_and_a_bad_copy_is_named() {
        let shipped = PaperTerms::from_json(PaperTerms::FILE.shipped).unwrap();
        assert!(!shipped.intake_receipt.is_empty() && !shipped.hand_over_slip.is_empty());
        let refused = |text: &str| PaperTerms::from_json(text).unwrap_err().to_string();
        let term = |en: &str, zh: &str| serde_json::json!({ "en": en, "zh-CN": zh });
        let file = |receipt: Vec<serde_json::Value>| {
            serde_json::json!({ "schema_version": 1, "intake_receipt": receipt, "hand_over_slip": [] }).to_string()
        };
        assert!(refused(&file(vec![term("Paid in advance", "  ")])).contains("intake_receipt term 1 in zh-CN"));
        assert!(refused(&file(vec![term(&"x".repeat(401), "预付")])).contains("term 1 in en has 401"));
        assert!(refused(&file(vec![term("a", "甲"); 7])).contains("7 terms"));
        assert!(refused(&file(vec![serde_json::json!({ "en": "a" })])).contains("paper-terms.json"));
        assert!(
            refused(r#"{"schema_version": 2, "intake_receipt": [], "hand_over_slip": []}"#).contains("schema_version")
        );
        assert!(PaperTerms::from_json(&file(vec![term("José signs for 王芳", "王芳代 José 签字")])).is_ok());
    }
}
