//! VM errors that rule text cannot reach when the compiler is right: they
//! must be errors with their own code, never a value that decides a verdict.

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
