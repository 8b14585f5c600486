//! `revive verify`: a certificate checked offline against a shop's key.

use std::path::{Path, PathBuf};

use revive_certificate_pdf::verify_path;
use revive_core::certificates::{self, Invalidity, SignedDocument, StatusList};
use revive_core::files::write_atomically;

use super::open_workshop;

use crate::exit::Exit;
use crate::output::{emit, fail, terminal_safe};

/// 0 valid, 1 invalid (with why: revoked too, by `status`), 5 unreadable (the file, the list, or no
/// key to check with), 6 valid but simulated.
pub fn run(file: &Path, public_key: Option<String>, data_dir: Option<PathBuf>, status: Option<PathBuf>) -> Exit {
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
    let mut verification = match verify_path(file, &public_key) {
        Ok(verification) => verification,
        Err(error) => return fail(Exit::Unreadable, format!("cannot read {}: {error}", file.display())),
    };
    if let Some(status) = status {
        let list = std::fs::read(&status).ok().and_then(|bytes| serde_json::from_slice::<SignedDocument>(&bytes).ok());
        match list.and_then(|signed| StatusList::verified(&signed, &public_key)) {
            Some(list) => verification = verification.with_status_list(&list),
            None => return fail(Exit::Unreadable, format!("{}: {}", status.display(), Invalidity::StatusListInvalid)),
        }
    }
    if let Some(revoked) = &verification.revoked {
        let note = revoked.note.as_deref().map(|note| format!(" ({})", terminal_safe(note))).unwrap_or_default();
        let reason = revoked.reason.id().replace('_', " ");
        return fail(
            Exit::Warnings,
            format!(
                "invalid: the shop revoked this certificate on {}: {reason}{note}",
                terminal_safe(revoked.revoked_at.get(..10).unwrap_or(&revoked.revoked_at))
            ),
        );
    }
    let Some(document) = verification.document.clone().filter(|_| verification.valid) else {
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
    if let Some(approval) = &document.identity_approval {
        say!(
            out,
            "  identity approved by {} ({}): {}",
            terminal_safe(&approval.approved_by),
            terminal_safe(&approval.findings.join(", ")),
            terminal_safe(&approval.reason)
        );
    }
    if let Some(previous) = &document.supersedes {
        say!(out, "  replaces {}", terminal_safe(previous));
    }
    if let Some(newer) = &verification.superseded_by {
        say!(out, "  SUPERSEDED by {}: the newer certificate is the one that counts", terminal_safe(newer));
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

/// `revive status-list`: 0 written, 5 the store, the key or the file cannot be used.
pub fn status_list(out: &Path, data_dir: Option<PathBuf>) -> Exit {
    let written = open_workshop(data_dir).and_then(|shop| {
        let signed = shop.certificates().status_list().map_err(|error| error.to_string())?;
        let text = serde_json::to_vec_pretty(&signed).map_err(|error| error.to_string())?;
        write_atomically(out, &text).map_err(|error| error.to_string())
    });
    match written {
        Ok(()) => {
            emit(&format!("status list written to {}\n", out.display()));
            Exit::Ok
        }
        Err(error) => fail(Exit::Unreadable, format!("no status list written: {error}")),
    }
}
