//! The report for people: findings grouped by rule with `file:line`.
