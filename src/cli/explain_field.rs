//! `parity explain-field KIND.PATH`: a field's type, allowed values,
//! description and sub-fields in a Kubernetes version, from the bundled
//! schemas (`kubectl explain` without a cluster).

use clap::Args;

use crate::escape::{keep_lines, text};
use crate::schema::{Kind, Schemas, Ty, schemas, version_priority};

#[derive(Debug, Args)]
pub struct ExplainFieldArgs {
    /// The kind and field path: `deployment.spec.replicas`,
    /// `pod.spec.containers.resources` (a list's elements need no `[*]`).
    pub field: String,
    /// The Kubernetes version (`1.30`); default: the newest bundled.
    #[arg(long, value_name = "VERSION")]
    pub kube_version: Option<String>,
    /// The apiVersion, when the kind has several (`autoscaling/v2`);
    /// default: the preferred one the version serves.
    #[arg(long, value_name = "API_VERSION")]
    pub api_version: Option<String>,
}

pub fn run(args: ExplainFieldArgs) -> i32 {
    match explain(&args) {
        Ok(out) => {
            print!("{}", keep_lines(&out));
            0
        }
        Err(e) => {
            eprintln!("error: {}", text(&e));
            2
        }
    }
}

fn choose_kind<'s>(s: &'s Schemas, name: &str, version: usize, api_version: Option<&str>) -> Result<&'s Kind, String> {
    let all = s.kinds_named(name);
    if all.is_empty() {
        let mut names: Vec<&str> = s.kinds().iter().map(|k| k.kind.as_str()).collect();
        names.sort_unstable();
        names.dedup();
        let lower: Vec<String> = names.iter().map(|n| n.to_ascii_lowercase()).collect();
        let hint = match crate::diag::did_you_mean(&name.to_ascii_lowercase(), lower.iter().map(String::as_str)) {
            Some(h) => format!("; did you mean `{h}`?"),
            None => String::new(),
        };
        return Err(format!("no Kubernetes kind `{name}` in the bundled schemas{hint}"));
    }
    let mut served: Vec<&Kind> = all
        .iter()
        .copied()
        .filter(|k| k.served.contains(&(version as u8)))
        .filter(|k| api_version.is_none_or(|a| k.api_version() == a))
        .collect();
    served.sort_by_key(|k| (std::cmp::Reverse(version_priority(&k.version)), k.group.clone()));
    match served.first() {
        Some(k) => Ok(k),
        None => {
            // What this version serves it as (not every bundled version's).
            let mut avs: Vec<String> =
                all.iter().filter(|k| k.served.contains(&(version as u8))).map(|k| k.api_version()).collect();
            avs.sort();
            avs.dedup();
            let served_as = if avs.is_empty() {
                "it serves no apiVersion of it".to_string()
            } else {
                format!("it is served as {}", avs.join(", "))
            };
            Err(format!(
                "Kubernetes {} does not serve `{name}`{}; {served_as}",
                s.versions()[version],
                api_version.map(|a| format!(" as {a}")).unwrap_or_default(),
            ))
        }
    }
}

fn explain(args: &ExplainFieldArgs) -> Result<String, String> {
    let s = schemas();
    let version = match &args.kube_version {
        None => s.newest(),
        Some(v) => match crate::world::Version::parse(v.trim()) {
            Some(parsed) => {
                let c = s.choose(Some(&parsed));
                if !c.exact {
                    return Err(format!(
                        "no bundled schema for Kubernetes {v}: parity has {} to {}",
                        s.versions()[0],
                        s.versions()[s.newest()]
                    ));
                }
                c.index
            }
            None => return Err(format!("`{v}` is not a Kubernetes version like 1.30")),
        },
    };
    let mut segs = args.field.split('.');
    let kind_name = segs.next().unwrap_or("");
    let kind = choose_kind(s, kind_name, version, args.api_version.as_deref())?;
    let mut ty: &Ty = s.root(kind, version).ok_or("the kind has no schema")?;
    let mut def: Option<&str> = Some(kind.def.as_str());
    let mut description = def_description(def);
    let mut shown = kind.kind.clone();
    for seg in segs {
        let key = seg.split('[').next().unwrap_or(seg);
        if key.is_empty() {
            continue;
        }
        let node = s.resolve(version, ty).ok_or("unresolved reference")?;
        // Through lists and maps to their elements.
        let node = element(s, version, node);
        let Some(child) = node.props.get(key) else {
            if node.free_keys() {
                let values = node.map_values.as_deref();
                return Ok(format!(
                    "{shown}.{key} ({}, Kubernetes {})\ntype: {}\nA key of a map with free keys.\n",
                    kind.api_version(),
                    s.versions()[version],
                    values.and_then(|v| s.resolve(version, v)).map(|v| v.type_name()).unwrap_or("any")
                ));
            }
            let hint = match crate::diag::did_you_mean(key, node.props.keys().map(String::as_str)) {
                Some(h) => format!("; did you mean `{h}`?"),
                None => String::new(),
            };
            return Err(format!("`{shown}` has no field `{key}`{hint}"));
        };
        description = def
            .and_then(|d| crate::schema::descriptions().get(d))
            .and_then(|m| m.get(key))
            .cloned()
            .unwrap_or_default();
        shown = format!("{shown}.{key}");
        def = ref_name(child).or_else(|| child.items.as_deref().and_then(ref_name));
        ty = child;
    }
    let node = s.resolve(version, ty).ok_or("unresolved reference")?;
    let mut out = format!("{shown} ({}, Kubernetes {})\n", kind.api_version(), s.versions()[version]);
    let elem = element(s, version, node);
    let type_text = match node.t.as_str() {
        "a" => format!("list of {}", elem.type_name()),
        _ if node.props.is_empty() && node.map_values.is_some() => format!("map of {}", elem.type_name()),
        _ => node.type_name().to_string(),
    };
    out.push_str(&format!("type: {type_text}\n"));
    if !elem.list_keys.is_empty() {
        out.push_str(&format!("list keys: {}\n", elem.list_keys.join(", ")));
    }
    if !elem.enums.is_empty() {
        let v: Vec<String> = elem.enums.iter().map(|e| e.to_string()).collect();
        out.push_str(&format!("allowed values: {}\n", v.join(", ")));
    }
    if description.is_empty() && ty.reference.is_some() {
        description = def_description(ref_name(ty));
    }
    if !description.is_empty() {
        out.push('\n');
        out.push_str(description.trim_end());
        out.push('\n');
    }
    if !elem.props.is_empty() {
        out.push_str("\nfields:\n");
        for (name, t) in &elem.props {
            let t = s.resolve(version, t).map(|t| field_type(s, version, t)).unwrap_or_else(|| "any".into());
            let req = if elem.required.contains(name) { ", required" } else { "" };
            out.push_str(&format!("  {name} ({t}{req})\n"));
        }
    }
    Ok(out)
}

fn field_type(s: &Schemas, version: usize, t: &Ty) -> String {
    match t.t.as_str() {
        "a" => format!("list of {}", element(s, version, t).type_name()),
        _ if t.props.is_empty() && t.map_values.is_some() => format!("map of {}", element(s, version, t).type_name()),
        _ => t.type_name().to_string(),
    }
}

/// A list's or a free map's element type; anything else itself.
fn element<'s>(s: &'s Schemas, version: usize, t: &'s Ty) -> &'s Ty {
    let inner = match t.t.as_str() {
        "a" => t.items.as_deref(),
        "o" if t.props.is_empty() => t.map_values.as_deref(),
        _ => None,
    };
    inner.and_then(|i| s.resolve(version, i)).unwrap_or(t)
}

fn ref_name(t: &Ty) -> Option<&str> {
    t.reference.as_deref()
}

fn def_description(def: Option<&str>) -> String {
    def.and_then(|d| crate::schema::descriptions().get(d)).and_then(|m| m.get("")).cloned().unwrap_or_default()
}
