//! The core's files import each other in one direction only: no file reaches back, through any
//! chain of `crate::` or `super::` paths, to one that imports it. Cycles are what stop the crate from
//! being split (a slim rack agent, a faster rebuild) and what tie a change in one place to all the
//! others; this test names any new one. Test code is left out: it may use anything.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// `bench/nvml.rs` → `bench::nvml`, `bench/mod.rs` → `bench`, `lib.rs` → the crate root (``).
fn module_of(relative: &Path) -> String {
    let path = relative.with_extension("").to_string_lossy().replace('/', "::");
    let path = path.strip_suffix("::mod").unwrap_or(&path);
    if path == "lib" {
        String::new()
    } else {
        path.to_owned()
    }
}

fn rust_files(dir: &Path, found: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, found);
        } else if path.extension().is_some_and(|e| e == "rs") {
            found.push(path);
        }
    }
}

/// The paths after each `marker` (`crate::` or `super::`), one per name a `{…}` group lists:
/// `crate::bench::{Sample, NvmlProvider}` gives `bench::Sample` and `bench::NvmlProvider`.
fn paths_after(text: &str, marker: &str) -> Vec<String> {
    let ident = |s: &str| s.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).unwrap_or(s.len());
    let mut paths = Vec::new();
    for (at, _) in text.match_indices(marker) {
        let mut rest = &text[at + marker.len()..];
        let mut prefix = String::new();
        loop {
            let length = ident(rest);
            let segment = &rest[..length];
            rest = &rest[length..];
            if let Some(after) = rest.strip_prefix("::{") {
                let group = &after[..after.find('}').unwrap_or(after.len())];
                for name in group.split(',').map(|n| n.trim().split("::").next().unwrap_or_default()) {
                    paths.push(format!("{prefix}{segment}::{}", &name[..ident(name)]));
                }
                break;
            }
            prefix.push_str(segment);
            match rest.strip_prefix("::") {
                Some(after) => {
                    prefix.push_str("::");
                    rest = after;
                }
                None => {
                    paths.push(prefix);
                    break;
                }
            }
        }
    }
    paths
}

/// Names a folder module re-exports from one of its files (`pub use nvml::{NvmlProvider}` in
/// `bench/mod.rs`): an import of `bench::NvmlProvider` is an import of `bench::nvml`.
fn reexports(modules: &BTreeSet<String>, sources: &BTreeMap<String, String>) -> BTreeMap<String, String> {
    let mut found = BTreeMap::new();
    for (module, code) in sources {
        for line in code.lines().map(str::trim).filter(|line| line.starts_with("pub use ")) {
            for path in paths_after(line, "pub use ") {
                let Some((child, name)) = path.split_once("::") else { continue };
                let child = if module.is_empty() { child.to_owned() } else { format!("{module}::{child}") };
                if modules.contains(&child) {
                    let exported = if module.is_empty() { name.to_owned() } else { format!("{module}::{name}") };
                    found.insert(exported, child);
                }
            }
        }
    }
    found
}

/// The file `path` names: the longest module it starts with, or the file that module re-exports
/// the next name from.
fn resolve(modules: &BTreeSet<String>, reexported: &BTreeMap<String, String>, path: &str) -> Option<String> {
    let segments: Vec<&str> = path.split("::").filter(|s| !s.is_empty()).collect();
    let n = (1..=segments.len()).rev().find(|n| modules.contains(&segments[..*n].join("::")))?;
    let module = segments[..n].join("::");
    match segments.get(n) {
        Some(name) => Some(reexported.get(&format!("{module}::{name}")).cloned().unwrap_or(module)),
        None => Some(module),
    }
}

fn graph() -> BTreeMap<String, BTreeSet<String>> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&root, &mut files);
    let sources: BTreeMap<String, String> = files
        .iter()
        .map(|file| {
            let text = std::fs::read_to_string(file).unwrap();
            let code = text.split("#[cfg(test)]").next().unwrap_or_default().to_owned();
            (module_of(file.strip_prefix(&root).unwrap()), code)
        })
        .collect();
    let modules: BTreeSet<String> = sources.keys().cloned().collect();
    let reexported = reexports(&modules, &sources);
    let mut edges = BTreeMap::new();
    for (module, code) in &sources {
        let parent = module.rsplit_once("::").map_or(String::new(), |(parent, _)| parent.to_owned());
        let mut imports = BTreeSet::new();
        for path in paths_after(code, "crate::") {
            imports.extend(resolve(&modules, &reexported, &path));
        }
        for path in paths_after(code, "super::") {
            let absolute = if parent.is_empty() { path } else { format!("{parent}::{path}") };
            imports.insert(resolve(&modules, &reexported, &absolute).unwrap_or_else(|| parent.clone()));
        }
        imports.remove(module);
        imports.remove("");
        edges.insert(module.clone(), imports);
    }
    edges
}

/// Groups of modules that reach each other (Tarjan's strongly connected components), larger than one.
fn cycles(edges: &BTreeMap<String, BTreeSet<String>>) -> Vec<Vec<String>> {
    struct Search<'a> {
        edges: &'a BTreeMap<String, BTreeSet<String>>,
        index: BTreeMap<&'a str, usize>,
        low: BTreeMap<&'a str, usize>,
        stack: Vec<&'a str>,
        found: Vec<Vec<String>>,
    }
    impl<'a> Search<'a> {
        fn visit(&mut self, node: &'a str) {
            let at = self.index.len();
            self.index.insert(node, at);
            self.low.insert(node, at);
            self.stack.push(node);
            for next in self.edges.get(node).into_iter().flatten() {
                if !self.index.contains_key(next.as_str()) {
                    self.visit(next);
                    let low = self.low[node].min(self.low[next.as_str()]);
                    self.low.insert(node, low);
                } else if self.stack.contains(&next.as_str()) {
                    let low = self.low[node].min(self.index[next.as_str()]);
                    self.low.insert(node, low);
                }
            }
            if self.low[node] == self.index[node] {
                let start = self.stack.iter().rposition(|n| *n == node).unwrap();
                let group: Vec<String> = self.stack.drain(start..).map(str::to_owned).collect();
                if group.len() > 1 {
                    self.found.push(group);
                }
            }
        }
    }
    let mut search =
        Search { edges, index: BTreeMap::new(), low: BTreeMap::new(), stack: Vec::new(), found: Vec::new() };
    for node in edges.keys() {
        if !search.index.contains_key(node.as_str()) {
            search.visit(node);
        }
    }
    search.found
}

#[test]
fn the_core_has_no_import_cycle() {
    let edges = graph();
    assert!(edges.len() > 30, "the core's files were found: {:?}", edges.keys());
    assert_eq!(cycles(&edges), Vec::<Vec<String>>::new(), "modules that import each other");
}

#[test]
fn the_error_module_imports_no_domain_module() {
    assert_eq!(graph()["error"], BTreeSet::new());
}

#[test]
fn a_cycle_is_found() {
    let edge = |from: &str, to: &[&str]| (from.to_owned(), to.iter().map(|t| (*t).to_owned()).collect());
    let edges = BTreeMap::from([edge("a", &["b"]), edge("b", &["c"]), edge("c", &["a"]), edge("d", &["a"])]);
    let found = cycles(&edges);
    assert_eq!(found.len(), 1, "{found:?}");
    let mut group = found[0].clone();
    group.sort();
    assert_eq!(group, ["a", "b", "c"]);
}

/// The files at the crate's root are the foundation (errors, the store, text, money, paths,
/// settings, the model catalogue); the folders are features and the workshop that assembles them.
/// A feature may stand on the foundation, never the other way round.
#[test]
fn the_foundation_imports_no_feature() {
    let edges = graph();
    let is_feature =
        |module: &str| module.contains("::") || edges.keys().any(|m| m.starts_with(&format!("{module}::")));
    let foundation: Vec<&String> = edges.keys().filter(|m| !m.is_empty() && !is_feature(m)).collect();
    assert!(foundation.iter().any(|m| *m == "store"), "{foundation:?}");
    for module in foundation {
        let features: Vec<&String> = edges[module].iter().filter(|to| is_feature(to)).collect();
        assert!(features.is_empty(), "{module} imports {features:?}");
    }
}
