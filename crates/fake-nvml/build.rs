//! Every NVML symbol nvml-wrapper-sys can load (`nvml-symbols.txt`) that `src/` does not implement
//! gets a stub answering NVML_ERROR_NOT_SUPPORTED, as a real driver does for a feature a GPU lacks.

use std::collections::BTreeSet;
use std::fmt::Write;
use std::{env, fs, path::Path};

fn main() {
    println!("cargo:rerun-if-changed=nvml-symbols.txt");
    println!("cargo:rerun-if-changed=src");
    let all = fs::read_to_string("nvml-symbols.txt").expect("nvml-symbols.txt is readable");
    let mut implemented = BTreeSet::new();
    for entry in fs::read_dir("src").expect("src is readable") {
        let source = fs::read_to_string(entry.expect("src entry").path()).expect("source is readable");
        for line in source.lines().map(str::trim_start) {
            // `pub unsafe extern "C" fn nvmlX(` or a getter macro use `text_getter!(nvmlX, ...`.
            let defined = line
                .strip_prefix("pub unsafe extern \"C\" fn ")
                .or_else(|| line.split_once("_getter!(").filter(|(name, _)| !name.contains(' ')).map(|(_, rest)| rest));
            if let Some(rest) = defined {
                implemented.insert(rest.split(['(', ',']).next().unwrap_or_default().to_owned());
            }
        }
    }
    let mut stubs = String::new();
    for symbol in all.lines().map(str::trim).filter(|s| !s.is_empty() && !implemented.contains(*s)) {
        writeln!(stubs, "#[no_mangle] pub extern \"C\" fn {symbol}() -> nvmlReturn_t {{ NOT_SUPPORTED }}").unwrap();
    }
    fs::write(Path::new(&env::var("OUT_DIR").unwrap()).join("stubs.rs"), stubs).unwrap();
}
