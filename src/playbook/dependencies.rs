//! The rules that relate checks through `needs` and `depends_on`: the cycle search that
//! both share (a check waits for what it needs and for what it depends on in its own
//! playbook, so a cycle through either would never start), and the rules across the
//! playbooks of a validated folder (`depends_on: [PLAYBOOK/ID]` names a playbook and a
//! check that exist there, and dependencies across playbooks form no cycle, where each
//! check would hold the other's messages back for as long as both fail).
//!
//! The rules of one playbook live in `validate`; this module owns the graph.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use super::FileReport;
use super::diagnostic::Diagnostic;
use super::span::Span;
use super::suggest::did_you_mean;

/// What an edge of the wait graph comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Via {
    Needs,
    DependsOn,
}

/// `from` waits for (or is held by) `to`, as written at `span`.
#[derive(Clone, Debug)]
pub struct Edge {
    pub from: String,
    pub to: String,
    pub span: Span,
    pub via: Via,
}

/// A cycle: the nodes in order (the first repeated at the end), the edge that closes it
/// (where the error points) and every edge along it.
#[derive(Debug)]
pub struct Cycle<'e> {
    pub nodes: Vec<String>,
    pub closing: &'e Edge,
    pub edges: Vec<&'e Edge>,
}

impl Cycle<'_> {
    /// What the error says: "`needs` forms a cycle: a → b → a".
    pub fn message(&self) -> String {
        let what = match (
            self.edges.iter().any(|e| e.via == Via::Needs),
            self.edges.iter().any(|e| e.via == Via::DependsOn),
        ) {
            (true, true) => "`needs` and `depends_on` form a cycle",
            (false, true) => "`depends_on` forms a cycle",
            _ => "`needs` forms a cycle",
        };
        format!("{what}: {}", self.nodes.join(" → "))
    }
}

/// Every cycle an iterative depth-first search closes (a grey node reached again), in
/// the order of `nodes` then of `edges`. Edges to unknown nodes and self-edges are left
/// to the rules that report them.
pub fn cycles<'e>(nodes: &[String], edges: &'e [Edge]) -> Vec<Cycle<'e>> {
    let mut out_edges: HashMap<&str, Vec<&Edge>> = nodes.iter().map(|n| (n.as_str(), Vec::new())).collect();
    for edge in edges {
        if edge.from != edge.to
            && out_edges.contains_key(edge.to.as_str())
            && let Some(list) = out_edges.get_mut(edge.from.as_str())
        {
            list.push(edge);
        }
    }
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        Grey,
        Black,
    }
    let mut found = Vec::new();
    let mut marks: HashMap<&str, Mark> = HashMap::new();
    for root in nodes {
        if marks.contains_key(root.as_str()) {
            continue;
        }
        // (node, index of the next edge to follow, the edge that led here)
        let mut stack: Vec<(&str, usize, Option<&Edge>)> = vec![(root.as_str(), 0, None)];
        marks.insert(root.as_str(), Mark::Grey);
        while let Some((node, next, _)) = stack.last_mut() {
            let node = *node;
            let list = &out_edges[node];
            if *next >= list.len() {
                marks.insert(node, Mark::Black);
                stack.pop();
                continue;
            }
            let edge = list[*next];
            *next += 1;
            let target = edge.to.as_str();
            match marks.get(target) {
                Some(Mark::Grey) => {
                    let start = stack.iter().position(|(n, _, _)| *n == target).unwrap_or(0);
                    let mut nodes: Vec<String> = stack[start..].iter().map(|(n, _, _)| n.to_string()).collect();
                    nodes.push(target.to_string());
                    let mut along: Vec<&Edge> = stack[start + 1..].iter().filter_map(|(_, _, e)| *e).collect();
                    along.push(edge);
                    found.push(Cycle { nodes, closing: edge, edges: along });
                }
                Some(Mark::Black) => {}
                None => {
                    marks.insert(target, Mark::Grey);
                    stack.push((target, 0, Some(edge)));
                }
            }
        }
    }
    found
}

/// The folders whose every playbook file is among `reports`: only there is a playbook
/// that `depends_on` names and that is not found known to be missing.
fn whole_folders(reports: &[FileReport]) -> HashSet<PathBuf> {
    let given: HashSet<PathBuf> = reports.iter().filter_map(|r| std::fs::canonicalize(&r.path).ok()).collect();
    let folders: HashSet<PathBuf> = reports.iter().map(|r| folder_of(&r.path)).collect();
    folders
        .into_iter()
        .filter(|folder| {
            let (files, errors) = super::discover::playbook_files(std::slice::from_ref(folder));
            errors.is_empty()
                && files.iter().all(|f| std::fs::canonicalize(f).is_ok_and(|canonical| given.contains(&canonical)))
        })
        .collect()
}

fn folder_of(path: &Path) -> PathBuf {
    match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// The rules across the playbooks of each folder: `(index of the report, diagnostic)`.
pub fn dependencies_across(reports: &[FileReport]) -> Vec<(usize, Diagnostic)> {
    let mut out = Vec::new();
    let named_elsewhere = reports.iter().filter_map(|r| r.playbook.as_ref()).any(|p| {
        p.all_checks()
            .iter()
            .any(|(_, c)| c.depends_on.iter().flatten().any(|d| d.other_playbook(p.name.as_str()).is_some()))
    });
    if !named_elsewhere {
        return out;
    }
    let whole = whole_folders(reports);
    // Per folder: playbook name → its checks' ids.
    let mut by_folder: HashMap<PathBuf, HashMap<&str, Vec<&str>>> = HashMap::new();
    for report in reports {
        if let Some(playbook) = &report.playbook {
            let ids = playbook.all_checks().iter().map(|(_, c)| c.id.as_str()).collect();
            by_folder.entry(folder_of(&report.path)).or_default().insert(playbook.name.as_str(), ids);
        }
    }
    let mut edges_by_folder: HashMap<PathBuf, Vec<(usize, Edge)>> = HashMap::new();
    for (index, report) in reports.iter().enumerate() {
        let Some(playbook) = &report.playbook else { continue };
        let folder = folder_of(&report.path);
        let known = &by_folder[&folder];
        for (_, check) in playbook.all_checks() {
            for dependency in check.depends_on.iter().flatten() {
                let own = playbook.name.as_str();
                let target_playbook = dependency.other_playbook(own).unwrap_or(own);
                edges_by_folder.entry(folder.clone()).or_default().push((
                    index,
                    Edge {
                        from: format!("{own}/{}", check.id),
                        to: format!("{target_playbook}/{}", dependency.check),
                        span: dependency.span(),
                        via: Via::DependsOn,
                    },
                ));
                let Some(other) = dependency.other_playbook(own) else { continue };
                if let Some(ids) = known.get(other) {
                    if !ids.contains(&dependency.check.as_str()) {
                        let mut d = Diagnostic::error(
                            dependency.span(),
                            format!(
                                "`depends_on` names `{dependency}`, but playbook `{other}` has no check `{}`",
                                dependency.check
                            ),
                        );
                        d.hint = Some(match did_you_mean(&dependency.check, ids.iter().copied()) {
                            Some(best) => format!("did you mean `{other}/{best}`?"),
                            None => format!(
                                "`{other}` has: {}",
                                ids.iter().map(|i| format!("`{i}`")).collect::<Vec<_>>().join(", ")
                            ),
                        });
                        out.push((index, d));
                    }
                } else if whole.contains(&folder) {
                    let mut d = Diagnostic::error(
                        dependency.span(),
                        format!("`depends_on` names playbook `{other}`, which is not in this folder"),
                    );
                    let names: Vec<&str> = known.keys().copied().filter(|n| *n != own).collect();
                    d.hint = Some(match did_you_mean(other, names.iter().copied()) {
                        Some(best) => format!("did you mean `{best}/{}`?", dependency.check),
                        None => "`PLAYBOOK/ID` names a playbook by its `name:`, among the playbooks of the same folder"
                            .into(),
                    });
                    out.push((index, d));
                }
            }
        }
    }
    // Cycles that cross playbooks (those inside one playbook are its own rule's).
    for (folder, edges) in edges_by_folder {
        let mut nodes: Vec<String> = Vec::new();
        for (name, ids) in &by_folder[&folder] {
            nodes.extend(ids.iter().map(|id| format!("{name}/{id}")));
        }
        nodes.sort();
        let (owners, edges): (Vec<usize>, Vec<Edge>) = edges.into_iter().unzip();
        for cycle in cycles(&nodes, &edges) {
            let crosses = cycle.edges.iter().any(|e| playbook_of(&e.from) != playbook_of(&e.to));
            if !crosses {
                continue;
            }
            let at = edges.iter().position(|e| std::ptr::eq(e, cycle.closing)).map(|i| owners[i]).unwrap_or(0);
            let mut d = Diagnostic::error(
                cycle.closing.span,
                format!("`depends_on` forms a cycle across playbooks: {}", cycle.nodes.join(" → ")),
            );
            d.hint = Some(
                "each would hold the other's messages back for as long as both fail; remove one of these `depends_on`"
                    .into(),
            );
            out.push((at, d));
        }
    }
    out
}

fn playbook_of(node: &str) -> &str {
    node.split_once('/').map_or(node, |(p, _)| p)
}
