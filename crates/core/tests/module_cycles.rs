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

/// The paths after each `marker` (`crate::` or `super::`): lowercase segments joined by `::`.
fn paths_after<'a>(text: &'a str, marker: &'a str) -> impl Iterator<Item = String> + 'a {
    text.match_indices(marker).map(move |(at, _)| {
        let rest = &text[at + marker.len()..];
        let end = rest
            .find(|c: char| !(c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == ':'))
            .unwrap_or(rest.len());
        rest[..end].trim_end_matches(':').to_owned()
    })
}

/// The longest module that `path` starts with.
fn resolve(modules: &BTreeSet<String>, path: &str) -> Option<String> {
    let segments: Vec<&str> = path.split("::").filter(|s| !s.is_empty()).collect();
    (1..=segments.len()).rev().map(|n| segments[..n].join("::")).find(|candidate| modules.contains(candidate))
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
    let mut edges = BTreeMap::new();
    for (module, code) in &sources {
        let parent = module.rsplit_once("::").map_or(String::new(), |(parent, _)| parent.to_owned());
        let mut imports = BTreeSet::new();
        for path in paths_after(code, "crate::") {
            imports.extend(resolve(&modules, &path));
        }
        for path in paths_after(code, "super::") {
            let absolute = if parent.is_empty() { path } else { format!("{parent}::{path}") };
            imports.insert(resolve(&modules, &absolute).unwrap_or_else(|| parent.clone()));
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
