//! How an import reports how far it got.

/// Where an import reports how far it got: a terminal's progress bar, or nothing (`&()`).
pub trait Progress: Sync {
    /// How many entities the import will go through.
    fn set_length(&self, _total: u64) {}
    /// `n` more entities done.
    fn inc(&self, _n: u64) {}
}

/// No report.
impl Progress for () {}
