//! Waivers: findings set aside on purpose, never hidden. Three sources:
//! `parity.dev/ignore` annotations on objects (applied by the engine while
//! it evaluates, see [`annotations`]), `[[exception]]` entries of
//! `parity.toml` and a baseline file (applied to a run's findings, see
//! [`exceptions::apply`]). Every waived finding is kept in the report's
//! `waived` list and counted.

pub mod annotations;
pub mod baseline;
pub mod error;
pub mod exceptions;

pub use baseline::{BaselineEntry, read_baseline, write_baseline};
pub use error::WaiveError;
pub use exceptions::{Applied, Date, Exception, apply, from_config, parse_date, today};
