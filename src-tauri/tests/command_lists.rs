//! The four places that name the commands agree: the ACL list `build.rs` uses, the handlers
//! `with_commands` registers, the capability the main window gets, and the commands `api.ts` calls.
//! A command missing from one of them is either unreachable or refused at run time; here it fails.

use std::collections::BTreeSet;
use std::path::Path;

use revive_app::command_list::COMMANDS;

fn source(path: &str) -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(path)).unwrap()
}

fn names<'a>(found: impl Iterator<Item = &'a str>) -> BTreeSet<String> {
    found.map(str::to_owned).collect()
}

#[test]
fn acl_handlers_capability_and_ui_name_the_same_commands() {
    let acl = names(COMMANDS.iter().copied());
    assert_eq!(acl.len(), COMMANDS.len(), "a command listed twice");

    let lib = source("src/lib.rs");
    let handlers = lib.split("generate_handler![").nth(1).and_then(|rest| rest.split(']').next()).unwrap();
    let registered =
        names(handlers.split(',').filter_map(|path| path.trim().rsplit("::").next()).filter(|n| !n.is_empty()));

    let capability: serde_json::Value = serde_json::from_str(&source("capabilities/main.json")).unwrap();
    // The window gets Revive's own commands and nothing of Tauri's (no `core:default`).
    let others: Vec<&str> = capability["permissions"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|p| p.as_str())
        .filter(|p| !p.starts_with("allow-"))
        .collect();
    assert_eq!(others, Vec::<&str>::new(), "permissions beyond Revive's commands");
    let granted = capability["permissions"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|p| p.as_str()?.strip_prefix("allow-"))
        .map(|name| name.replace('-', "_"))
        .collect::<BTreeSet<_>>();

    let api = source("../ui/src/lib/api.ts");
    let called = names(api.split("invoke").skip(1).filter_map(|call| {
        let rest = if call.starts_with('<') { call.split_once(">(")?.1 } else { call.strip_prefix('(')? };
        rest.trim_start().strip_prefix('\'')?.split('\'').next()
    }));

    assert_eq!(registered, acl, "generate_handler! in lib.rs");
    assert_eq!(granted, acl, "capabilities/main.json");
    assert_eq!(called, acl, "the commands ui/src/lib/api.ts calls");
}
