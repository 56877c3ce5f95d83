//! Tidy: every Rust file says what it owns in a `//!` line, carries no trailing
//! white space, and no test is switched off with `#[ignore]` or `#[should_panic]`.

use std::path::{Path, PathBuf};

fn rust_files(folder: &Path, found: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(folder) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let name = entry.file_name();
        if path.is_dir() && name != "target" && !name.to_string_lossy().starts_with('.') {
            rust_files(&path, found);
        } else if path.extension().is_some_and(|extension| extension == "rs") {
            found.push(path);
        }
    }
}

#[test]
fn every_rust_file_is_tidy() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut files = Vec::new();
    rust_files(&root.join("crates"), &mut files);
    assert!(
        files.len() > 20,
        "the walk found the sources ({} files)",
        files.len()
    );
    let mut problems = Vec::new();
    for file in &files {
        let text = std::fs::read_to_string(file).expect("readable source");
        if !text.starts_with("//!") {
            problems.push(format!("{}: does not open with a //! line", file.display()));
        }
        for (index, line) in text.lines().enumerate() {
            if line.ends_with(' ') || line.ends_with('\t') {
                problems.push(format!(
                    "{}:{}: trailing white space",
                    file.display(),
                    index + 1
                ));
            }
            let code = line.trim_start();
            let (ignore, should_panic) = (concat!("#[", "ignore"), concat!("#[", "should_panic"));
            if code.starts_with(ignore) || code.starts_with(should_panic) {
                problems.push(format!(
                    "{}:{}: a switched-off test",
                    file.display(),
                    index + 1
                ));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// Every action code the sources write to the audit trail (`action: "…"` or
/// `NewAuditEvent::by(grant, "…"`) has words on the audit page: no "other".
#[test]
fn every_audited_action_has_a_label() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut files = Vec::new();
    rust_files(&root.join("crates/store/src"), &mut files);
    rust_files(&root.join("crates/web/src"), &mut files);
    let mut codes = std::collections::BTreeSet::new();
    for file in &files {
        let text = std::fs::read_to_string(file).expect("readable source");
        let compact: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
        for marker in [
            "action: \"",
            "NewAuditEvent::by( grant, \"",
            "NewAuditEvent::by(grant, \"",
        ] {
            for piece in compact.split(marker).skip(1) {
                if let Some(code) = piece.split('"').next()
                    && code.contains(['.', '_'])
                    && !code.starts_with("test.")
                    && code
                        .chars()
                        .all(|c| c.is_ascii_lowercase() || c == '.' || c == '_')
                {
                    codes.insert(code.to_owned());
                }
            }
        }
    }
    assert!(codes.len() > 20, "the scan found the codes: {codes:?}");
    let unlabelled: Vec<&String> = codes
        .iter()
        .filter(|code| mamori_web::audit_action_label(code, mamori_web::i18n::Locale::Ja).is_none())
        .collect();
    assert!(unlabelled.is_empty(), "no words for {unlabelled:?}");
}
