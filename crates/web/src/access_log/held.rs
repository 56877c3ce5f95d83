//! Files previewed and not imported yet (ログファイルの取り込み): held in
//! memory so that 「取り込む」 after 「内容を確認する」 imports the very bytes
//! that were shown, without choosing the file a second time. Each is held
//! for the person, institution and source that previewed it, for
//! [`HOLD_FOR`], and taken once; at most [`MAX_HELD_BYTES`] are held in all,
//! the oldest let go first. A restart forgets them (the file is chosen
//! again).

use std::collections::VecDeque;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use mamori_domain::access_log::source::LogSourceId;
use mamori_domain::institution::{InstitutionId, UserId};

/// How long a previewed file waits for its import.
pub const HOLD_FOR: Duration = Duration::from_secs(30 * 60);
/// The most bytes held at once, all people together.
pub const MAX_HELD_BYTES: usize = 96 * 1024 * 1024;

/// Who previewed a file, and for which source.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Holder {
    pub user: UserId,
    pub institution: InstitutionId,
    pub source: LogSourceId,
}

struct Held {
    token: String,
    holder: Holder,
    file_name: String,
    bytes: Vec<u8>,
    at: Instant,
}

/// The previewed files (see the module).
#[derive(Default)]
pub struct HeldUploads(Mutex<VecDeque<Held>>);

impl HeldUploads {
    /// Holds `bytes` for `holder`; returns the token the import form sends
    /// back. A file larger than everything that may be held is not held
    /// (`None`): it is chosen again.
    pub fn hold(&self, holder: Holder, file_name: String, bytes: Vec<u8>) -> Option<String> {
        if bytes.len() > MAX_HELD_BYTES {
            return None;
        }
        let token = crate::auth::random_token();
        let Ok(mut held) = self.0.lock() else {
            return None;
        };
        held.retain(|held| held.at.elapsed() < HOLD_FOR);
        // One held file a person: a new preview replaces the last.
        held.retain(|held| held.holder.user != holder.user);
        let mut total: usize = held.iter().map(|held| held.bytes.len()).sum();
        while total + bytes.len() > MAX_HELD_BYTES {
            match held.pop_front() {
                Some(oldest) => total -= oldest.bytes.len(),
                None => break,
            }
        }
        held.push_back(Held {
            token: token.clone(),
            holder,
            file_name,
            bytes,
            at: Instant::now(),
        });
        Some(token)
    }

    /// Takes the file held under `token` for `holder` (its name and bytes);
    /// `None` when there is none — expired, let go, taken already, or held
    /// for someone or something else.
    pub fn take(&self, token: &str, holder: Holder) -> Option<(String, Vec<u8>)> {
        let mut held = self.0.lock().ok()?;
        let at = held.iter().position(|held| {
            held.at.elapsed() < HOLD_FOR
                && held.holder == holder
                && bool::from(subtle::ConstantTimeEq::ct_eq(
                    held.token.as_bytes(),
                    token.as_bytes(),
                ))
        })?;
        held.remove(at).map(|held| (held.file_name, held.bytes))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn holder(user: i64, source: i64) -> Holder {
        Holder {
            user: UserId::from_db(user),
            institution: InstitutionId::from_db(1),
            source: LogSourceId::from_db(source),
        }
    }

    #[test]
    fn a_held_file_is_taken_once_by_its_holder_for_its_source() {
        let uploads = HeldUploads::default();
        let token = uploads
            .hold(holder(1, 7), "auth.log".into(), b"line".to_vec())
            .expect("held");
        assert_eq!(uploads.take(&token, holder(2, 7)), None, "someone else");
        assert_eq!(uploads.take(&token, holder(1, 8)), None, "another source");
        assert_eq!(uploads.take("forged", holder(1, 7)), None);
        assert_eq!(
            uploads.take(&token, holder(1, 7)),
            Some(("auth.log".to_owned(), b"line".to_vec()))
        );
        assert_eq!(uploads.take(&token, holder(1, 7)), None, "taken once");
    }

    #[test]
    fn a_new_preview_replaces_the_last_and_the_oldest_go_first_when_full() {
        let uploads = HeldUploads::default();
        let first = uploads
            .hold(holder(1, 7), "a".into(), vec![0; 10])
            .expect("held");
        let second = uploads
            .hold(holder(1, 7), "b".into(), vec![0; 10])
            .expect("held");
        assert_eq!(uploads.take(&first, holder(1, 7)), None);
        let other = uploads
            .hold(holder(2, 7), "c".into(), vec![0; MAX_HELD_BYTES - 5])
            .expect("held");
        // Holding `other` let the oldest (the second of user 1) go.
        assert_eq!(uploads.take(&second, holder(1, 7)), None);
        assert!(uploads.take(&other, holder(2, 7)).is_some());
        assert_eq!(
            uploads.hold(holder(3, 7), "d".into(), vec![0; MAX_HELD_BYTES + 1]),
            None
        );
    }
}
