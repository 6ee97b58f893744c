//! `tsb-report init`: a new report project that builds out of the box.

use std::path::Path;

use anyhow::{Result, bail};

/// Create a report project in `dir`.
pub fn init(dir: &Path) -> Result<()> {
    if dir.exists() && std::fs::read_dir(dir)?.next().is_some() {
        bail!(
            "failed to create a project in `{}` (the folder is not empty)",
            dir.display()
        );
    }
    bail!("`init` is not implemented yet")
}
