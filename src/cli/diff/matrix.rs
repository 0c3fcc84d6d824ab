//! `parity diff`'s model: every object (by identity) × the envs compared,
//! each cell missing, equal or the fields that differ, against the object's
//! baseline: its counterpart in the last of the envs (in promotion order)
//! that has it, the reference env for every object the reference env has.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::Value as Json;

use crate::bytecode::Program;
use crate::engine::FieldLines;
use crate::vm::Vm;
use crate::world::{EnvId, Object, World};

/// One differing field of a cell.
#[derive(Debug, Clone, Serialize)]
pub struct FieldDiff {
    pub path: String,
    /// The value in this env (`null` when absent).
    pub value: Json,
    /// The value in the baseline env.
    pub baseline_value: Json,
    pub line: u32,
    pub baseline_line: u32,
}

/// What one env holds of one object.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "state", rename_all = "lowercase")]
pub enum Cell {
    Missing,
    /// The env the others are compared with.
    Baseline {
        file: String,
        line: u32,
    },
    Equal {
        file: String,
        line: u32,
    },
    Differs {
        file: String,
        line: u32,
        diffs: Vec<FieldDiff>,
    },
}

impl Cell {
    pub fn differs(&self) -> bool {
        matches!(self, Cell::Missing | Cell::Differs { .. })
    }
}

/// One object across the envs.
#[derive(Debug, Clone, Serialize)]
pub struct Row {
    pub kind: String,
    pub namespace: String,
    pub name: String,
    /// The env its cells are compared with.
    pub baseline: String,
    /// One per env of [`Matrix::envs`], in that order.
    pub cells: Vec<Cell>,
}

impl Row {
    /// Every path that differs in some env, in first-seen order.
    pub fn differing_paths(&self) -> Vec<&str> {
        let mut paths: Vec<&str> = Vec::new();
        for c in &self.cells {
            if let Cell::Differs { diffs, .. } = c {
                for d in diffs {
                    if !paths.contains(&d.path.as_str()) {
                        paths.push(&d.path);
                    }
                }
            }
        }
        paths
    }

    /// Whether any env lacks the object or differs from the baseline.
    pub fn differs(&self) -> bool {
        self.cells.iter().any(Cell::differs)
    }

    /// `Kind namespace/name` (or `Kind name`).
    pub fn label(&self) -> String {
        if self.namespace.is_empty() {
            format!("{} {}", self.kind, self.name)
        } else {
            format!("{} {}/{}", self.kind, self.namespace, self.name)
        }
    }
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Matrix {
    /// The envs compared, in promotion order.
    pub envs: Vec<String>,
    /// Every object, sorted by kind, namespace and name.
    pub rows: Vec<Row>,
}

impl Matrix {
    /// Objects missing somewhere or differing from their baseline.
    pub fn differing(&self) -> usize {
        self.rows.iter().filter(|r| r.differs()).count()
    }
}

/// Compares `envs` (ids into `world.envs`, any order) object by object,
/// with the tolerances of `prog`. Errors are evaluation errors of a
/// tolerance's filter, as text.
pub fn build(world: &World, prog: &Program, envs: &[EnvId], lines: &FieldLines) -> (Matrix, Vec<String>) {
    let mut envs: Vec<EnvId> = envs.to_vec();
    envs.sort_by_key(|e| (world.envs[*e as usize].order, *e));
    envs.dedup();
    // Identity (kind, canonical namespace, name) → the object in each env.
    // Identity (lower-case kind, canonical namespace, name) → the kind as
    // written first, and the object in each env (the first of duplicates).
    type Objects<'w> = (String, Vec<Option<&'w Object>>);
    let mut by_id: BTreeMap<(String, String, String), Objects> = BTreeMap::new();
    for (col, &e) in envs.iter().enumerate() {
        let env = &world.envs[e as usize];
        for o in &env.objects {
            let id = env.identity(o);
            let slot = by_id.entry((id.kind.to_string(), id.namespace.to_string(), id.name.to_string()));
            let (_, cells) = slot.or_insert_with(|| (o.kind.to_string(), vec![None; envs.len()]));
            if cells[col].is_none() {
                cells[col] = Some(o);
            }
        }
    }
    let mut vm = Vm::new(prog, world);
    let mut errors = Vec::new();
    let file = |o: &Object| world.files.get(o.file as usize).cloned().unwrap_or_default();
    let mut rows = Vec::with_capacity(by_id.len());
    for ((_, namespace, name), (kind, objs)) in by_id {
        let Some(base_col) = objs.iter().rposition(Option::is_some) else { continue };
        let Some(base) = objs[base_col] else { continue };
        let mut cells = Vec::with_capacity(objs.len());
        for (col, o) in objs.iter().enumerate() {
            let cell = match o {
                None => Cell::Missing,
                Some(o) if col == base_col => Cell::Baseline { file: file(o), line: o.line },
                Some(o) => match vm.differences(o, base) {
                    Ok(d) if d.is_empty() => Cell::Equal { file: file(o), line: o.line },
                    Ok(d) => Cell::Differs {
                        file: file(o),
                        line: o.line,
                        diffs: d
                            .into_iter()
                            .map(|d| FieldDiff {
                                path: d.path_text(),
                                line: lines.line(o, &d.concrete(true)),
                                baseline_line: lines.line(base, &d.concrete(false)),
                                value: d.left.unwrap_or(Json::Null),
                                baseline_value: d.right.unwrap_or(Json::Null),
                            })
                            .collect(),
                    },
                    Err(e) => {
                        errors.push(format!("{} {name} in env {}: {e}", kind, world.envs[o.env as usize].name));
                        Cell::Equal { file: file(o), line: o.line }
                    }
                },
            };
            cells.push(cell);
        }
        let baseline = world.envs[base.env as usize].name.clone();
        rows.push(Row { kind, namespace, name, baseline, cells });
    }
    let envs = envs.iter().map(|e| world.envs[*e as usize].name.clone()).collect();
    (Matrix { envs, rows }, errors)
}
