//! Entry bundles: entries each prefixed by a big-endian 16-bit length.

use crate::Error;

/// The longest entry a bundle can hold (the length prefix is 16 bits).
pub const MAX_ENTRY_LEN: usize = u16::MAX as usize;

/// Appends one entry, length-prefixed, to a bundle being built.
pub fn encode_entry(bundle: &mut Vec<u8>, entry: &[u8]) -> Result<(), Error> {
    let len = u16::try_from(entry.len()).map_err(|_| Error::EntryTooLong { len: entry.len() })?;
    bundle.extend_from_slice(&len.to_be_bytes());
    bundle.extend_from_slice(entry);
    Ok(())
}

/// Splits a bundle into its entries; `None` if a length runs past the end.
pub fn parse_bundle(bytes: &[u8]) -> Option<Vec<&[u8]>> {
    let mut entries = Vec::new();
    let mut rest = bytes;
    while !rest.is_empty() {
        let (len, tail) = rest.split_first_chunk::<2>()?;
        let len = usize::from(u16::from_be_bytes(*len));
        if tail.len() < len {
            return None;
        }
        let (entry, tail) = tail.split_at(len);
        entries.push(entry);
        rest = tail;
    }
    Some(entries)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_round_trip_and_a_cut_bundle_is_refused() {
        let mut bundle = Vec::new();
        for entry in [&b"first"[..], b"", &[0xff; 300]] {
            encode_entry(&mut bundle, entry).expect("short entry");
        }
        let entries = parse_bundle(&bundle).expect("well formed");
        assert_eq!(entries, vec![&b"first"[..], b"", &[0xff; 300]]);
        assert!(parse_bundle(&bundle[..bundle.len() - 1]).is_none());
        assert!(parse_bundle(&[0x00]).is_none());
        assert!(matches!(
            encode_entry(&mut bundle, &vec![0; MAX_ENTRY_LEN + 1]),
            Err(Error::EntryTooLong { .. })
        ));
    }
}
