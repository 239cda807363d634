//! Configuration: `sentinel.conf` text → [`Config`] model → text again.
//!
//! Everything here is pure except [`persist`], which owns the only file I/O.

mod model;

pub use model::*;
