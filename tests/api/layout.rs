//! The shape of `src/`, held on every test run:
//!
//! - no import cycle between its files. Each file is a module; what it imports are the
//!   files its `use` items and the paths of its code, attributes and macros name (a
//!   `pub use` facade is followed to the file that defines the item; declaring a module is
//!   no import). Test modules are left out;
//! - each layer imports only itself and the layers below it ([`LAYERS`]);
//! - no file longer than [`MAX_FILE_LINES`] and no function longer than [`MAX_FN_LINES`]
//!   outside tests.
//!
//! SeaORM's entities live outside `src/` (the `entity` crate), with their relation pairs.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use quote::ToTokens;
use syn::visit::Visit;

/// Top-level modules by layer: a module may import its own layer and those below.
const LAYERS: &[(&str, u8)] = &[
    ("domain", 0),
    ("config", 1),
    ("db", 1),
    ("telemetry", 1),
    ("base", 2),
    ("analytics", 3),
    ("mail", 3),
    ("webhooks", 3),
    ("services", 4),
    ("cli", 5),
    ("demo", 5),
    ("error", 5),
    ("http", 5),
    ("jobs", 5),
    ("openapi", 5),
    ("pages", 5),
    ("routes", 5),
    ("startup", 5),
];
const ROOT_LAYER: u8 = 6;
const MAX_FILE_LINES: usize = 400;
const MAX_FN_LINES: usize = 80;

/// One file of `src/`.
struct SourceFile {
    /// `["services", "rounds", "states"]`; the crate root is `[]`.
    module: Vec<String>,
    path: PathBuf,
    text: String,
    syntax: syn::File,
}

impl SourceFile {
    /// Modules the file declares (`mod x;`), outside tests.
    fn children(&self) -> BTreeSet<String> {
        self.syntax
            .items
            .iter()
            .filter_map(|item| match item {
                syn::Item::Mod(m) if m.content.is_none() => Some(m.ident.to_string()),
                _ => None,
            })
            .collect()
    }
}

fn source_files() -> Vec<SourceFile> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    let mut folders = vec![root.clone()];
    while let Some(folder) = folders.pop() {
        for entry in std::fs::read_dir(&folder).expect("src/ is readable") {
            let path = entry.expect("an entry").path();
            if path.is_dir() {
                folders.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let relative = path.strip_prefix(&root).expect("under src/");
                if relative == Path::new("main.rs") {
                    continue; // the binary: a crate of its own
                }
                let mut module: Vec<String> = relative
                    .with_extension("")
                    .components()
                    .map(|c| c.as_os_str().to_string_lossy().into_owned())
                    .collect();
                if matches!(module.last().map(String::as_str), Some("mod" | "lib")) {
                    module.pop();
                }
                let text = std::fs::read_to_string(&path).expect("a readable file");
                let syntax =
                    syn::parse_file(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
                files.push(SourceFile {
                    module,
                    path,
                    text,
                    syntax,
                });
            }
        }
    }
    files.sort_by(|a, b| a.module.cmp(&b.module));
    files
}

fn is_test_only(attrs: &[syn::Attribute]) -> bool {
    attrs.iter().any(|attr| {
        let text = attr.meta.to_token_stream().to_string();
        text == "test" || text.starts_with("cfg (test") || text.contains("tokio :: test")
    })
}

/// The paths one file names, relative to where it names them (`crate::a::b`, `super::c`,
/// `child::d`), with whether each comes from a `pub use`.
#[derive(Default)]
struct Names {
    paths: Vec<Vec<String>>,
    /// `pub use` items: the name they give and the path they stand for.
    reexports: Vec<(String, Vec<String>)>,
}

fn flatten_use(
    tree: &syn::UseTree,
    prefix: &mut Vec<String>,
    out: &mut Vec<(String, Vec<String>)>,
) {
    match tree {
        syn::UseTree::Path(p) => {
            prefix.push(p.ident.to_string());
            flatten_use(&p.tree, prefix, out);
            prefix.pop();
        }
        syn::UseTree::Name(n) if n.ident == "self" => {
            let name = prefix.last().cloned().unwrap_or_default();
            out.push((name, prefix.clone()));
        }
        syn::UseTree::Name(n) => {
            let mut path = prefix.clone();
            path.push(n.ident.to_string());
            out.push((n.ident.to_string(), path));
        }
        syn::UseTree::Rename(r) => {
            let mut path = prefix.clone();
            if r.ident != "self" {
                path.push(r.ident.to_string());
            }
            out.push((r.rename.to_string(), path));
        }
        syn::UseTree::Glob(_) => out.push(("*".into(), prefix.clone())),
        syn::UseTree::Group(g) => {
            for item in &g.items {
                flatten_use(item, prefix, out);
            }
        }
    }
}

/// `crate :: a :: b` sequences in the text of tokens a parser does not see (macros,
/// attributes).
fn crate_paths_in(text: &str) -> Vec<Vec<String>> {
    let words: Vec<&str> = text.split_whitespace().collect();
    let mut found = Vec::new();
    for (i, word) in words.iter().enumerate() {
        if *word != "crate" {
            continue;
        }
        let mut path = vec!["crate".to_owned()];
        let mut j = i + 1;
        while j + 1 < words.len() && words[j] == "::" {
            let segment = words[j + 1];
            if !segment.chars().all(|c| c.is_alphanumeric() || c == '_') {
                break;
            }
            path.push(segment.to_owned());
            j += 2;
        }
        if path.len() > 1 {
            found.push(path);
        }
    }
    found
}

struct Collector<'a> {
    names: &'a mut Names,
}

impl<'ast> Visit<'ast> for Collector<'_> {
    fn visit_item(&mut self, item: &'ast syn::Item) {
        let attrs: &[syn::Attribute] = match item {
            syn::Item::Fn(f) => &f.attrs,
            syn::Item::Mod(m) => &m.attrs,
            syn::Item::Impl(i) => &i.attrs,
            syn::Item::Use(u) => &u.attrs,
            _ => &[],
        };
        if is_test_only(attrs) {
            return;
        }
        if let syn::Item::Use(used) = item {
            let mut flat = Vec::new();
            flatten_use(&used.tree, &mut Vec::new(), &mut flat);
            let public = !matches!(used.vis, syn::Visibility::Inherited);
            for (name, path) in flat {
                if public {
                    self.names.reexports.push((name, path.clone()));
                }
                self.names.paths.push(path);
            }
            return;
        }
        syn::visit::visit_item(self, item);
    }

    fn visit_path(&mut self, path: &'ast syn::Path) {
        let segments: Vec<String> = path.segments.iter().map(|s| s.ident.to_string()).collect();
        self.names.paths.push(segments);
        syn::visit::visit_path(self, path);
    }

    /// `pub(super)` names who may see an item, not what the item uses.
    fn visit_visibility(&mut self, _: &'ast syn::Visibility) {}

    fn visit_macro(&mut self, mac: &'ast syn::Macro) {
        self.names
            .paths
            .extend(crate_paths_in(&mac.tokens.to_string()));
        syn::visit::visit_macro(self, mac);
    }

    fn visit_attribute(&mut self, attr: &'ast syn::Attribute) {
        if !attr.path().is_ident("doc") {
            let text = attr.meta.to_token_stream().to_string();
            self.names.paths.extend(crate_paths_in(&text));
        }
    }
}

/// The import graph of `src/`: for each file, the files it imports.
struct Graph {
    files: Vec<SourceFile>,
    edges: Vec<BTreeSet<usize>>,
}

impl Graph {
    fn build() -> Self {
        let files = source_files();
        let index: BTreeMap<Vec<String>, usize> = files
            .iter()
            .enumerate()
            .map(|(i, f)| (f.module.clone(), i))
            .collect();
        let names: Vec<Names> = files
            .iter()
            .map(|file| {
                let mut names = Names::default();
                Collector { names: &mut names }.visit_file(&file.syntax);
                names
            })
            .collect();
        let absolute = |file: &SourceFile, path: &[String]| -> Option<Vec<String>> {
            let first = path.first()?.as_str();
            let parent = &file.module[..file.module.len().saturating_sub(1)];
            Some(match first {
                "crate" => path[1..].to_vec(),
                "self" => [&file.module[..], &path[1..]].concat(),
                "super" => [parent, &path[1..]].concat(),
                child if file.children().contains(child) => [&file.module[..], path].concat(),
                _ => return None,
            })
        };
        let reexports: Vec<BTreeMap<String, Vec<String>>> = files
            .iter()
            .zip(&names)
            .map(|(file, names)| {
                names
                    .reexports
                    .iter()
                    .filter_map(|(name, path)| Some((name.clone(), absolute(file, path)?)))
                    .collect()
            })
            .collect();
        let resolve = |path: &[String]| -> Option<usize> {
            let mut path = path.to_vec();
            for _ in 0..8 {
                let len = (0..=path.len())
                    .rev()
                    .find(|n| index.contains_key(&path[..*n]))?;
                let found = index[&path[..len]];
                match path.get(len).and_then(|next| reexports[found].get(next)) {
                    Some(target) => path = [&target[..], &path[len + 1..]].concat(),
                    None => return Some(found),
                }
            }
            None
        };
        let edges = files
            .iter()
            .zip(&names)
            .enumerate()
            .map(|(me, (file, names))| {
                names
                    .paths
                    .iter()
                    .filter_map(|path| resolve(&absolute(file, path)?))
                    .filter(|target| *target != me)
                    .collect()
            })
            .collect();
        Self { files, edges }
    }

    fn name(&self, index: usize) -> String {
        let module = &self.files[index].module;
        if module.is_empty() {
            "crate".into()
        } else {
            module.join("::")
        }
    }

    /// Groups of files that import each other, in a loop (Tarjan's algorithm).
    fn cycles(&self) -> Vec<Vec<String>> {
        struct State {
            next: usize,
            index: Vec<Option<usize>>,
            low: Vec<usize>,
            stack: Vec<usize>,
            on_stack: Vec<bool>,
            found: Vec<Vec<usize>>,
        }
        fn visit(graph: &Graph, v: usize, s: &mut State) {
            s.index[v] = Some(s.next);
            s.low[v] = s.next;
            s.next += 1;
            s.stack.push(v);
            s.on_stack[v] = true;
            for &w in &graph.edges[v] {
                match s.index[w] {
                    None => {
                        visit(graph, w, s);
                        s.low[v] = s.low[v].min(s.low[w]);
                    }
                    Some(index) if s.on_stack[w] => s.low[v] = s.low[v].min(index),
                    Some(_) => {}
                }
            }
            if Some(s.low[v]) == s.index[v] {
                let mut group = Vec::new();
                while let Some(w) = s.stack.pop() {
                    s.on_stack[w] = false;
                    group.push(w);
                    if w == v {
                        break;
                    }
                }
                if group.len() > 1 {
                    s.found.push(group);
                }
            }
        }
        let n = self.files.len();
        let mut state = State {
            next: 0,
            index: vec![None; n],
            low: vec![0; n],
            stack: Vec::new(),
            on_stack: vec![false; n],
            found: Vec::new(),
        };
        for v in 0..n {
            if state.index[v].is_none() {
                visit(self, v, &mut state);
            }
        }
        state
            .found
            .into_iter()
            .map(|group| {
                let mut names: Vec<String> = group.into_iter().map(|i| self.name(i)).collect();
                names.sort();
                names
            })
            .collect()
    }
}

fn layer(module: &[String]) -> u8 {
    match module.first() {
        None => ROOT_LAYER,
        Some(top) => LAYERS
            .iter()
            .find(|(name, _)| name == top)
            .map(|(_, layer)| *layer)
            .unwrap_or_else(|| panic!("src/{top} has no layer in tests/api/layout.rs")),
    }
}

#[test]
fn src_modules_import_each_other_without_cycles() {
    let graph = Graph::build();
    assert!(graph.files.len() > 100, "every file of src/ is read");
    let imports: usize = graph.edges.iter().map(BTreeSet::len).sum();
    assert!(imports > 500, "imports are found ({imports})");
    let cycles = graph.cycles();
    assert!(
        cycles.is_empty(),
        "modules that import each other in a loop:\n{}",
        cycles
            .iter()
            .map(|c| c.join(" <-> "))
            .collect::<Vec<_>>()
            .join("\n")
    );
}

#[test]
fn the_cycle_check_finds_a_loop() {
    let mut graph = Graph::build();
    let find = |name: &str| {
        graph
            .files
            .iter()
            .position(|f| f.module.join("::") == name)
            .unwrap()
    };
    let (services, routes) = (find("services::rounds::states"), find("routes::rounds"));
    graph.edges[services].insert(routes);
    assert!(
        graph
            .cycles()
            .iter()
            .any(|c| c.contains(&"routes::rounds".to_owned())),
        "a service importing a handler closes a loop"
    );
}

#[test]
fn each_layer_imports_only_the_layers_below_it() {
    let graph = Graph::build();
    let mut upward = Vec::new();
    for (from, targets) in graph.edges.iter().enumerate() {
        for &to in targets {
            let (a, b) = (&graph.files[from].module, &graph.files[to].module);
            if layer(a) < layer(b) {
                upward.push(format!("{} imports {}", graph.name(from), graph.name(to)));
            }
        }
    }
    assert!(
        upward.is_empty(),
        "imports of a higher layer:\n{}",
        upward.join("\n")
    );
}

#[test]
fn no_file_is_longer_than_400_lines() {
    let long: Vec<String> = source_files()
        .iter()
        .map(|f| (f.path.display().to_string(), f.text.lines().count()))
        .filter(|(_, lines)| *lines > MAX_FILE_LINES)
        .map(|(path, lines)| format!("{path}: {lines} lines"))
        .collect();
    assert!(long.is_empty(), "files to split:\n{}", long.join("\n"));
}

/// Functions with their length in lines, from `fn` to the closing brace.
struct FunctionLengths {
    found: Vec<(String, usize)>,
}

impl FunctionLengths {
    fn measure(&mut self, attrs: &[syn::Attribute], sig: &syn::Signature, body: &syn::Block) {
        if is_test_only(attrs) {
            return;
        }
        let start = sig.fn_token.span.start().line;
        let end = body.brace_token.span.close().end().line;
        self.found
            .push((sig.ident.to_string(), end.saturating_sub(start) + 1));
    }
}

impl<'ast> Visit<'ast> for FunctionLengths {
    fn visit_item_mod(&mut self, module: &'ast syn::ItemMod) {
        if !is_test_only(&module.attrs) {
            syn::visit::visit_item_mod(self, module);
        }
    }

    fn visit_item_fn(&mut self, function: &'ast syn::ItemFn) {
        self.measure(&function.attrs, &function.sig, &function.block);
        syn::visit::visit_item_fn(self, function);
    }

    fn visit_impl_item_fn(&mut self, function: &'ast syn::ImplItemFn) {
        self.measure(&function.attrs, &function.sig, &function.block);
        syn::visit::visit_impl_item_fn(self, function);
    }
}

#[test]
fn no_function_is_longer_than_80_lines() {
    let mut long = Vec::new();
    let mut measured = 0;
    for file in source_files() {
        let mut lengths = FunctionLengths { found: Vec::new() };
        lengths.visit_file(&file.syntax);
        measured += lengths.found.len();
        for (name, lines) in lengths.found {
            if lines > MAX_FN_LINES {
                long.push(format!("{}: {name} has {lines} lines", file.path.display()));
            }
        }
    }
    assert!(measured > 500, "functions are measured ({measured})");
    assert!(long.is_empty(), "functions to split:\n{}", long.join("\n"));
}
