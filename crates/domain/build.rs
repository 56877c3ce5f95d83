//! Embeds every file under `catalogs/` (repository root) so that adding next
//! year's checklist is adding a file: no code lists them.

use std::fmt::Write as _;
use std::path::Path;

fn main() {
    // Read when the script runs, not when it is compiled: a build script
    // compiled for one checkout may be run for another sharing its target
    // folder.
    let manifest = std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR");
    let root = Path::new(&manifest).join("../../catalogs");
    println!("cargo:rerun-if-changed={}", root.display());
    let checklists = root.join("checklists");
    println!("cargo:rerun-if-changed={}", checklists.display());
    let mut names: Vec<String> = std::fs::read_dir(&checklists)
        .expect("catalogs/checklists must exist")
        .filter_map(|entry| entry.ok())
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .filter(|name| name.ends_with(".yaml"))
        .collect();
    names.sort();
    let mut out = String::from(
        "/// (file name, contents) of every built-in checklist catalog.\npub const CHECKLISTS: &[(&str, &str)] = &[\n",
    );
    for name in &names {
        let path = checklists.join(name);
        println!("cargo:rerun-if-changed={}", path.display());
        writeln!(
            out,
            "    ({name:?}, include_str!({:?})),",
            path.display().to_string()
        )
        .expect("write to a String");
    }
    out.push_str("];\n");
    for (constant, name) in [
        ("GUIDANCE", "guidance.yaml"),
        ("TOKUSHIMA", "tokushima.yaml"),
    ] {
        let path = root.join(name);
        println!("cargo:rerun-if-changed={}", path.display());
        writeln!(out, "/// (file name, contents) of `catalogs/{name}`.\npub const {constant}: (&str, &str) = ({name:?}, include_str!({:?}));", path.display().to_string())
            .expect("write to a String");
    }
    let target = Path::new(&std::env::var("OUT_DIR").expect("cargo sets OUT_DIR"))
        .join("builtin_catalogs.rs");
    std::fs::write(target, out).expect("OUT_DIR is writable");
}
