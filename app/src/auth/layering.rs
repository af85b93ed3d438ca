//! The concepts of the service import each other in one direction only:
//! foundations (`error`, `ids`, `clock`, `principal`, `audit`, `lockout`,
//! ...) import no concept, and no two concepts import each other, directly
//! or round a longer loop. A cycle means a rule sits in the wrong place;
//! this test names it.

use std::{
    collections::{BTreeMap, BTreeSet},
    fs,
    path::Path,
};

/// The top-level module of `auth` each file belongs to, with the top-level
/// modules it names through `crate::auth::…` (tests excluded).
fn imports() -> BTreeMap<String, BTreeSet<String>> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/auth");
    let mut files = vec![root.clone()];
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    while let Some(path) = files.pop() {
        if path.is_dir() {
            files.extend(fs::read_dir(&path).unwrap().map(|e| e.unwrap().path()));
            continue;
        }
        if path.extension().is_none_or(|e| e != "rs") || path == root.join("mod.rs") {
            continue;
        }
        let relative = path.strip_prefix(&root).unwrap();
        let module = relative.iter().next().unwrap().to_string_lossy();
        let module = module.trim_end_matches(".rs").to_string();
        let text = fs::read_to_string(&path).unwrap();
        let code = text.split("#[cfg(test)]").next().unwrap();
        let names = graph.entry(module.clone()).or_default();
        for (at, _) in code.match_indices("crate::auth::") {
            let rest = &code[at + "crate::auth::".len()..];
            if let Some(group) = rest.strip_prefix('{') {
                // `crate::auth::{a::x, b, c::{..}}`: the first segment of each
                // top-level item of the group.
                let mut depth = 0;
                let mut item = String::new();
                for c in group.chars() {
                    match c {
                        '{' => depth += 1,
                        '}' if depth == 0 => break,
                        '}' => depth -= 1,
                        ',' if depth == 0 => {
                            names.insert(first_segment(&item));
                            item.clear();
                            continue;
                        }
                        _ => {}
                    }
                    if depth == 0 {
                        item.push(c);
                    }
                }
                names.insert(first_segment(&item));
            } else {
                names.insert(first_segment(rest));
            }
        }
        names.remove(&module);
    }
    let modules: BTreeSet<String> = graph.keys().cloned().collect();
    for names in graph.values_mut() {
        names.retain(|name| modules.contains(name));
    }
    graph
}

fn first_segment(text: &str) -> String {
    text.trim()
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect()
}

/// A path from `from` back to itself through `graph`, if there is one.
fn cycle_through(graph: &BTreeMap<String, BTreeSet<String>>, from: &str) -> Option<Vec<String>> {
    let mut stack = vec![vec![from.to_string()]];
    let mut seen = BTreeSet::new();
    while let Some(path) = stack.pop() {
        let last = path.last().unwrap();
        for next in &graph[last] {
            if next == from {
                let mut cycle = path.clone();
                cycle.push(from.to_string());
                return Some(cycle);
            }
            if seen.insert(next.clone()) {
                let mut longer = path.clone();
                longer.push(next.clone());
                stack.push(longer);
            }
        }
    }
    None
}

#[test]
fn no_concept_imports_one_that_imports_it_back() {
    let graph = imports();
    assert!(graph.len() > 10, "too few modules found: {graph:?}");
    // The reader sees groups: an edge this test relies on.
    assert!(graph["sign_in"].contains("second_factor"), "{graph:?}");
    for module in graph.keys() {
        if let Some(cycle) = cycle_through(&graph, module) {
            panic!("import cycle: {}", cycle.join(" -> "));
        }
    }
}
