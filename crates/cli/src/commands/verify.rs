//! `revive verify`: a certificate checked offline against a shop's key.

use std::path::{Path, PathBuf};

use revive_certificate_pdf::verify_path;
use revive_core::certificates;

use crate::exit::Exit;
use crate::output::{emit, fail, terminal_safe};

/// 0 valid, 1 invalid (with why), 5 unreadable (the file, or no key to check with), 6 valid but simulated.
pub fn run(file: &Path, public_key: Option<String>, data_dir: Option<PathBuf>) -> Exit {
    let public_key = match public_key {
        Some(given) => match std::fs::read_to_string(&given) {
            Ok(key_file) => certificates::public_key_in(&key_file).to_owned(),
            Err(_) => given,
        },
        None => match shop_public_key(data_dir) {
            Ok(key) => key,
            Err(error) => return fail(Exit::Unreadable, error),
        },
    };
    let verification = match verify_path(file, &public_key) {
        Ok(verification) => verification,
        Err(error) => return fail(Exit::Unreadable, format!("cannot read {}: {error}", file.display())),
    };
    let Some(document) = verification.document.filter(|_| verification.valid) else {
        let reason = verification.reason.map_or_else(|| "unknown".to_owned(), |reason| reason.to_string());
        return fail(Exit::Warnings, format!("invalid: {reason}"));
    };
    let mut out = String::new();
    let verdict = if verification.simulated { "valid, but SIMULATED (not a repair certificate)" } else { "valid" };
    say!(
        out,
        "{verdict}: certificate {} issued {} by {}",
        terminal_safe(&document.number),
        terminal_safe(document.issued_at.get(..10).unwrap_or(&document.issued_at)),
        terminal_safe(&document.shop.name)
    );
    say!(out, "  GPU      {} serial {}", terminal_safe(&document.gpu.model_name), terminal_safe(&document.gpu.serial));
    say!(out, "  customer {} ticket {}", terminal_safe(&document.customer), terminal_safe(&document.ticket));
    match &verification.facts {
        Some(facts) => {
            say!(out, "  warranty {} days, until {}", document.warranty_days, terminal_safe(&facts.warranty_end))
        }
        None => say!(out, "  warranty {} days", document.warranty_days),
    }
    let identity = if document.identity_matches_intake { "matches intake" } else { "DIFFERS from intake" };
    say!(out, "  identity serial and UUID at release {identity}");
    if let Some(previous) = &document.supersedes {
        say!(out, "  replaces {}", terminal_safe(previous));
    }
    if verification.simulated {
        say!(out, "  SIMULATED: its readings came from the simulated bench; it proves nothing about real hardware");
    }
    say!(out, "  sha256   {}", verification.sha256.unwrap_or_default());
    say!(out, "  key      {}", verification.key_fingerprint.unwrap_or_default());
    emit(&out);
    if verification.simulated {
        Exit::Simulated
    } else {
        Exit::Ok
    }
}

/// This shop's public key, from its data folder (as `open_store` finds it).
fn shop_public_key(data_dir: Option<PathBuf>) -> Result<String, String> {
    let data_dir = data_dir.or_else(revive_core::paths::data_dir).ok_or("no data folder: pass --public-key")?;
    match certificates::ShopKey::load(&data_dir) {
        Ok(Some(key)) => Ok(key.public_key()),
        Ok(None) => Err(format!("no shop key in {}: pass --public-key KEY|FILE", data_dir.display())),
        Err(error) => Err(format!("cannot read the shop key in {}: {error}", data_dir.display())),
    }
}
