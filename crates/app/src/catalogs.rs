//! The checklist catalogs: the ones built into the binary plus any `*.yaml`
//! files in `<data dir>/catalogs/`, so that an operator can add next year's
//! checklist without a new build. All are validated before the server starts.

use std::path::Path;

use anyhow::Context;
use mamori_domain::checklist::CatalogSet;

/// Reads the extra catalog files of `data_dir` (none if the folder is absent).
pub fn extra_files(data_dir: &Path) -> anyhow::Result<Vec<(String, String)>> {
    let folder = data_dir.join("catalogs");
    if !folder.exists() {
        return Ok(Vec::new());
    }
    let mut files = Vec::new();
    for entry in
        std::fs::read_dir(&folder).with_context(|| format!("cannot read {}", folder.display()))?
    {
        let path = entry
            .with_context(|| format!("cannot read {}", folder.display()))?
            .path();
        if path.extension().and_then(|e| e.to_str()) != Some("yaml") {
            continue;
        }
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("cannot read the catalog {}", path.display()))?;
        files.push((path.display().to_string(), text));
    }
    files.sort();
    Ok(files)
}

/// The built-in catalogs and `extra`, validated; the error names file, item and field.
pub fn load(extra: &[(String, String)]) -> anyhow::Result<CatalogSet> {
    CatalogSet::builtin_with(extra)
        .map_err(|error| anyhow::anyhow!("invalid checklist catalog: {error}"))
}
