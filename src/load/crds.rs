//! CustomResourceDefinition files (`--crd FILE`, parity.toml `crds`): read
//! by the manifest loader, with its bounds (file size, nesting, alias
//! expansion). A file that cannot be read, holds anything but
//! CustomResourceDefinitions (a `List` of them is fine), a CRD without
//! `spec.group` or `spec.names.kind`, or no CRD at all, is an error naming
//! it. `schema::given` converts their schemas.

use std::path::PathBuf;

use super::{Input, LoadError, LoadOptions};
use crate::report::{ErrorAt, RunError};
use crate::world::Object;

/// Reads the CRD files (files or folders): the CRD objects, in file order,
/// and an error for every problem; the CRDs of the files that could be read
/// are kept.
pub fn read(paths: &[PathBuf], opts: &LoadOptions) -> (Vec<Object>, Vec<RunError>) {
    let mut out = Vec::new();
    let mut errors = Vec::new();
    for path in paths {
        let shown = super::files::display(path);
        let before = errors.len();
        let loaded = super::load_inputs(&[Input::Path(path.clone())], &[], None, opts);
        errors.extend(loaded.errors);
        for s in &loaded.skipped {
            errors.push(crd_error(&s.file, s.line, format!("not a CustomResourceDefinition file: {}", s.message)));
        }
        let mut found = 0;
        for env in &loaded.world.envs {
            for o in &env.objects {
                let file = loaded.world.files.get(o.file as usize).cloned().unwrap_or_else(|| shown.clone());
                let v = o.value();
                let is_crd = o.kind.as_ref() == "CustomResourceDefinition"
                    && v.str_field("apiVersion").is_some_and(|a| a.starts_with("apiextensions.k8s.io/"));
                if !is_crd {
                    errors.push(crd_error(
                        &file,
                        o.line,
                        format!(
                            "holds a {} ({}), not a CustomResourceDefinition: a --crd file may hold only CRDs",
                            crate::escape::text(if o.kind.is_empty() { "document without a kind" } else { &o.kind }),
                            crate::escape::text(v.str_field("apiVersion").unwrap_or("no apiVersion"))
                        ),
                    ));
                    continue;
                }
                let spec = v.get("spec");
                if spec.and_then(|s| s.get("names")).and_then(|n| n.str_field("kind")).is_none() {
                    errors.push(crd_error(&file, o.line, "CustomResourceDefinition without spec.names.kind".into()));
                    continue;
                }
                if spec.and_then(|s| s.str_field("group")).is_none() {
                    errors.push(crd_error(&file, o.line, "CustomResourceDefinition without spec.group".into()));
                    continue;
                }
                found += 1;
                out.push(o.clone());
            }
        }
        if found == 0 && errors.len() == before {
            errors.push(crd_error(&shown, 0, "holds no CustomResourceDefinition".into()));
        }
    }
    (out, errors)
}

fn crd_error(file: &str, line: u32, message: String) -> RunError {
    LoadError::Crd(message).at_pos(file, line, 0)
}
