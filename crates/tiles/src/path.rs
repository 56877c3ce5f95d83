//! Tile and bundle paths as C2SP tlog-tiles names them.

use std::path::PathBuf;

use crate::TILE_WIDTH;

/// `<N>` as path elements: groups of three digits, all but the last prefixed with `x`.
fn push_index(path: &mut PathBuf, index: u64, width: u64) {
    let mut groups = Vec::new();
    let mut rest = index;
    loop {
        groups.push(rest % 1000);
        rest /= 1000;
        if rest == 0 {
            break;
        }
    }
    let last = groups.len() - 1;
    for (i, group) in groups.iter().rev().enumerate() {
        if i == last {
            path.push(format!("{group:03}"));
        } else {
            path.push(format!("x{group:03}"));
        }
    }
    if width < TILE_WIDTH {
        let name = path
            .file_name()
            .map(|name| format!("{}.p", name.to_string_lossy()))
            .unwrap_or_default();
        path.set_file_name(name);
        path.push(width.to_string());
    }
}

/// The hash tile at `level`, number `index`, holding `width` hashes (256 for a full tile).
pub fn tile_path(level: u8, index: u64, width: u64) -> PathBuf {
    let mut path = PathBuf::from("tile");
    path.push(level.to_string());
    push_index(&mut path, index, width);
    path
}

/// The entry bundle number `index`, holding `width` entries (256 for a full bundle).
pub fn bundle_path(index: u64, width: u64) -> PathBuf {
    let mut path = PathBuf::from("tile/entries");
    push_index(&mut path, index, width);
    path
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_follow_the_c2sp_naming() {
        assert_eq!(tile_path(0, 0, 256), PathBuf::from("tile/0/000"));
        assert_eq!(
            tile_path(1, 1_234_067, 256),
            PathBuf::from("tile/1/x001/x234/067")
        );
        assert_eq!(tile_path(2, 5, 17), PathBuf::from("tile/2/005.p/17"));
        assert_eq!(
            bundle_path(1000, 3),
            PathBuf::from("tile/entries/x001/000.p/3")
        );
        assert_eq!(bundle_path(999, 256), PathBuf::from("tile/entries/999"));
    }
}
