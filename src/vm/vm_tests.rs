//! VM errors that rule text cannot reach when the compiler is right (they
//! must be errors with their own code, never a value that decides a
//! verdict), and the VM's own caches.

use super::*;
use crate::bytecode::{Code, Op, Program};
use crate::world::World;

/// Code that pops more than it pushed is an internal error, not `absent`.
#[test]
fn popping_an_empty_stack_is_an_internal_error() {
    let prog = Program { ops: vec![Op::Not, Op::Ret], ..Program::default() };
    let world = World::default();
    let mut vm = Vm::new(&prog, &world);
    vm.bind(2, Val::Absent, None);
    match vm.run(Code { entry: 0 }) {
        Err(EvalError::Internal(what)) => assert_eq!(what, "stack underflow"),
        other => panic!("expected an internal error, got {other:?}"),
    }
}

/// A jump past the end of the code is an internal error too.
#[test]
fn a_jump_out_of_the_program_is_an_internal_error() {
    let prog = Program { ops: vec![Op::Jump(7)], ..Program::default() };
    let world = World::default();
    let mut vm = Vm::new(&prog, &world);
    vm.bind(2, Val::Absent, None);
    assert!(matches!(vm.run(Code { entry: 0 }), Err(EvalError::Internal(_))));
}

#[test]
fn regex_size_expands_counted_repetitions() {
    assert_eq!(regex_size("a[ab]{10000}c"), 10_002);
    assert_eq!(regex_size("^[a-z0-9-]+$"), 3);
    assert_eq!(regex_size("(ab){3}|x*"), 7);
    assert!(regex_size("(a{1,1000}){1,1000}") >= 1_000_000);
}

/// Path values are remembered per (base, path) across runs, in a small
/// table whose slots are overwritten: whatever the order and however many
/// objects, every read gives the object's own value, for each of two
/// paths with the same steps too. (The compiler interns paths across the
/// program, so rules share them: `tests/bytecode.rs`.)
#[test]
fn remembered_path_values_are_each_objects_own() {
    use crate::bytecode::{PathId, PathSeg, PathSpec};
    let key = |k: &str| PathSeg::Key(k.to_string());
    let prog = Program {
        // Four code blocks: `spec.x` (p0), `spec.x` again (p1: a program
        // built by hand may hold it twice), `spec.y` (p2), and `x` (p3) from
        // the node `spec` (p4).
        ops: vec![
            Op::Load(0),
            Op::Path(PathId::next(0)),
            Op::Ret,
            Op::Load(0),
            Op::Path(PathId::next(1)),
            Op::Ret,
            Op::Load(0),
            Op::Path(PathId::next(2)),
            Op::Ret,
            Op::Load(0),
            Op::Path(PathId::next(4)),
            Op::Path(PathId::next(3)),
            Op::Ret,
        ],
        paths: vec![
            PathSpec { segs: vec![key("spec"), key("x")] },
            PathSpec { segs: vec![key("spec"), key("x")] },
            PathSpec { segs: vec![key("spec"), key("y")] },
            PathSpec { segs: vec![key("x")] },
            PathSpec { segs: vec![key("spec")] },
        ],
        ..Program::default()
    };
    let objects: Vec<crate::world::Object> = (0..500)
        .map(|i| {
            let value = serde_json::json!({"spec": {"x": i, "y": format!("y{i}")}});
            crate::world::Object::from_json(&value, 0, 0, 1, 0)
        })
        .collect();
    let world = World::default();
    let mut vm = Vm::new(&prog, &world);
    for round in 0..3 {
        for (i, o) in objects.iter().enumerate().rev().step_by(round + 1) {
            for entry in [0, 3, 6, 9] {
                vm.bind(2, Val::Obj(o), None);
                let got = vm.run(Code { entry }).expect("runs");
                let want = if entry == 6 { Val::str(format!("y{i}").as_str()) } else { Val::int(i as i128) };
                assert!(equal(&got, &want), "object {i}, code at {entry}: {got:?}");
            }
        }
    }
}

/// Paths of keys are read by walking the nodes (`join::walk`) where
/// `plain_path` allows it; the walk gives what the general reading
/// (`Vm::path_value`) gives, from an object and from a node, on fields
/// present, absent, null, scalar midway, lists, pod specs of every kind,
/// and an implied namespace (left to the general reading).
#[test]
fn walked_paths_read_what_the_general_reading_reads() {
    use crate::bytecode::PathSeg;
    let key = |k: &str| PathSeg::Key(k.to_string());
    let docs = [
        serde_json::json!({"kind": "Deployment", "metadata": {"name": "web", "labels": {"app": "web"}},
            "spec": {"replicas": 2, "minor": 3, "template": {"spec": {"hostNetwork": true,
            "containers": [{"name": "c", "image": "nginx:1.2"}]}}}}),
        serde_json::json!({"kind": "Pod", "metadata": {"name": "p", "namespace": "ns"},
            "spec": {"nodeSelector": null, "containers": [{"name": "a"}], "major": "1.30"}}),
        serde_json::json!({"kind": "CronJob", "metadata": {"name": "c"},
            "spec": {"jobTemplate": {"spec": {"template": {"spec": {"serviceAccountName": "sa"}}}}}}),
        serde_json::json!({"kind": "ConfigMap", "metadata": {"name": "m"}, "data": {"k": "v", "n": "1"}}),
    ];
    let paths: Vec<Vec<PathSeg>> = vec![
        vec![],
        vec![key("kind")],
        vec![key("metadata"), key("name")],
        vec![key("metadata"), key("namespace")],
        vec![key("metadata"), key("labels"), key("app")],
        vec![key("metadata"), key("name"), key("x")],
        vec![key("spec"), key("replicas")],
        vec![key("spec"), key("minor")],
        vec![key("spec"), key("major")],
        vec![key("spec"), key("nodeSelector")],
        vec![key("spec"), key("nodeSelector"), key("env")],
        vec![key("spec"), key("containers")],
        vec![key("spec"), key("containers"), key("name")],
        vec![key("data"), key("k")],
        vec![key("missing")],
        vec![PathSeg::PodSpec],
        vec![PathSeg::PodSpec, key("hostNetwork")],
        vec![PathSeg::PodSpec, key("serviceAccountName")],
        vec![PathSeg::PodSpec, key("containers")],
        vec![key("spec"), PathSeg::PodSpec],
        vec![key("spec"), PathSeg::Index(0)],
    ];
    let prog = Program::default();
    let world = World::default();
    let vm = Vm::new(&prog, &world);
    let names = |_: crate::world::EnvId| String::new();
    let shown = |v: &Val| format!("{}:{}", v.type_name(), value::display(v, &names));
    let mut walked = 0;
    for (i, doc) in docs.iter().enumerate() {
        let mut obj = crate::world::Object::from_json(doc, 0, 0, 1, 0);
        if i == 0 {
            // As an env's default namespace sets it: not in the tree.
            obj.namespace = Some("implied".into());
            obj.namespace_implied = true;
        }
        for segs in &paths {
            if !plain_path(segs) {
                continue;
            }
            walked += 1;
            for base in [Val::Obj(&obj), Val::J(obj.value())] {
                let general = vm.path_value(base.clone(), segs, &[]);
                assert_eq!(shown(&join::walk(base.clone(), segs)), shown(&general), "{doc} {segs:?} from {base:?}");
            }
        }
    }
    assert!(walked > 40, "{walked} paths walked");
    // Not walked: no steps, version parts, an object's namespace, other steps.
    for segs in [&paths[0], &paths[3], &paths[7], &paths[8], &paths[19], &paths[20]] {
        assert!(!plain_path(segs), "{segs:?}");
    }
}
