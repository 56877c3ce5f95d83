//! Lockout (第4条⑧ and the FY2025 checklist's password rules): after a number of
//! consecutive failed sign-ins an account is locked for a while, and while it is
//! locked even the right password is refused with the same answer as a wrong one.

use jiff::{SignedDuration, Timestamp};

/// How many consecutive failures lock an account, and for how long.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LockoutPolicy {
    threshold: u32,
    duration: SignedDuration,
}

impl LockoutPolicy {
    /// The default: 5 failures lock the account for 15 minutes.
    pub const DEFAULT: Self = Self {
        threshold: 5,
        duration: SignedDuration::from_mins(15),
    };

    /// A policy; a threshold of 0 is taken as 1 and a negative duration as zero.
    pub fn new(threshold: u32, duration: SignedDuration) -> Self {
        Self {
            threshold: threshold.max(1),
            duration: duration.max(SignedDuration::ZERO),
        }
    }

    /// Consecutive failures that lock the account.
    pub fn threshold(&self) -> u32 {
        self.threshold
    }

    /// How long a lock lasts.
    pub fn duration(&self) -> SignedDuration {
        self.duration
    }

    /// Judges one sign-in attempt against the account's state before it, and
    /// returns the verdict with the state to store.
    pub fn judge(
        &self,
        before: LockState,
        password_matches: bool,
        active: bool,
        now: Timestamp,
    ) -> (SignInVerdict, LockState) {
        if before.locked_until.is_some_and(|until| until > now) {
            // Attempts during a lock neither count nor extend it: a flood of wrong
            // passwords must not keep the real person out for ever.
            return (SignInVerdict::Locked, before);
        }
        if password_matches && active {
            return (SignInVerdict::Success, LockState::default());
        }
        if !active {
            return (SignInVerdict::Inactive, before);
        }
        let failures = before.failures.saturating_add(1);
        if failures >= i64::from(self.threshold) {
            let locked_until = now.checked_add(self.duration).unwrap_or(now);
            (
                SignInVerdict::WrongPassword { now_locked: true },
                LockState {
                    failures: 0,
                    locked_until: Some(locked_until),
                },
            )
        } else {
            (
                SignInVerdict::WrongPassword { now_locked: false },
                LockState {
                    failures,
                    locked_until: None,
                },
            )
        }
    }
}

impl Default for LockoutPolicy {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// What is stored about an account's failed sign-ins.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct LockState {
    /// Consecutive failures since the last success or lock.
    pub failures: i64,
    /// Until when the account is locked, if it is.
    pub locked_until: Option<Timestamp>,
}

impl LockState {
    /// Whether the account is locked at `now`.
    pub fn is_locked(&self, now: Timestamp) -> bool {
        self.locked_until.is_some_and(|until| until > now)
    }
}

/// The outcome of one sign-in attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignInVerdict {
    /// Signed in.
    Success,
    /// Wrong password; `now_locked` when this failure locked the account.
    WrongPassword { now_locked: bool },
    /// The account is locked; the password was not considered.
    Locked,
    /// The account is deactivated.
    Inactive,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(minutes: i64) -> Timestamp {
        Timestamp::UNIX_EPOCH
            .checked_add(SignedDuration::from_mins(minutes))
            .expect("in range")
    }

    #[test]
    fn five_failures_lock_for_fifteen_minutes_and_then_release() {
        let policy = LockoutPolicy::DEFAULT;
        let mut state = LockState::default();
        for attempt in 1..=4 {
            let (verdict, next) = policy.judge(state, false, true, at(0));
            assert_eq!(
                verdict,
                SignInVerdict::WrongPassword { now_locked: false },
                "attempt {attempt}"
            );
            state = next;
        }
        let (verdict, state) = policy.judge(state, false, true, at(1));
        assert_eq!(verdict, SignInVerdict::WrongPassword { now_locked: true });
        assert_eq!(state.locked_until, Some(at(16)));
        assert_eq!(
            policy.judge(state, true, true, at(10)).0,
            SignInVerdict::Locked,
            "even the right password"
        );
        assert_eq!(
            policy.judge(state, false, true, at(10)).1,
            state,
            "attempts during a lock do not extend it"
        );
        assert_eq!(
            policy.judge(state, true, true, at(16)).0,
            SignInVerdict::Success,
            "released after 15 minutes"
        );
    }

    #[test]
    fn a_success_resets_the_count() {
        let policy = LockoutPolicy::new(3, SignedDuration::from_mins(5));
        let (_, state) = policy.judge(LockState::default(), false, true, at(0));
        let (_, state) = policy.judge(state, false, true, at(0));
        let (verdict, state) = policy.judge(state, true, true, at(0));
        assert_eq!(
            (verdict, state),
            (SignInVerdict::Success, LockState::default())
        );
    }

    #[test]
    fn an_inactive_account_never_signs_in_and_is_not_counted() {
        let (verdict, state) =
            LockoutPolicy::DEFAULT.judge(LockState::default(), true, false, at(0));
        assert_eq!((verdict, state.failures), (SignInVerdict::Inactive, 0));
        assert_eq!(
            LockoutPolicy::new(0, SignedDuration::from_mins(-3)).threshold(),
            1
        );
    }
}
