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

    /// Judges one attempt at `step` against the account's state before it, and
    /// returns the verdict with the state to store. Only a step that completes
    /// the proof of identity resets the failure count: a right password
    /// followed by wrong codes must still reach the lock.
    pub fn judge(
        &self,
        before: LockState,
        step: AuthStep,
        matches: bool,
        active: bool,
        now: Timestamp,
    ) -> (SignInVerdict, LockState) {
        if before.locked_until.is_some_and(|until| until > now) {
            // Attempts during a lock neither count nor extend it: a flood of wrong
            // passwords must not keep the real person out for ever.
            return (SignInVerdict::Locked, before);
        }
        if matches && active {
            let after = if step.completes() {
                LockState::default()
            } else {
                LockState {
                    failures: before.failures,
                    locked_until: None,
                }
            };
            return (SignInVerdict::Success, after);
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

/// Which proof of identity an attempt offers. Each counts towards the lockout
/// when it fails.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthStep {
    /// The password at sign-in; `second_factor_follows` when a code is still owed.
    Password { second_factor_follows: bool },
    /// The TOTP or recovery code after the password.
    SecondFactor,
    /// The current password, asked again by a signed-in person before a
    /// sensitive change (password change, turning two-factor off).
    CurrentPassword,
}

impl AuthStep {
    /// Whether success at this step completes a sign-in (and so clears the count).
    pub fn completes(self) -> bool {
        match self {
            Self::Password {
                second_factor_follows,
            } => !second_factor_follows,
            Self::SecondFactor => true,
            Self::CurrentPassword => false,
        }
    }

    /// The step's name in the audit trail.
    pub fn code(self) -> &'static str {
        match self {
            Self::Password { .. } => "password",
            Self::SecondFactor => "second_factor",
            Self::CurrentPassword => "current_password",
        }
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

    const PW: AuthStep = AuthStep::Password {
        second_factor_follows: false,
    };

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
            let (verdict, next) = policy.judge(state, PW, false, true, at(0));
            assert_eq!(
                verdict,
                SignInVerdict::WrongPassword { now_locked: false },
                "attempt {attempt}"
            );
            state = next;
        }
        let (verdict, state) = policy.judge(state, PW, false, true, at(1));
        assert_eq!(verdict, SignInVerdict::WrongPassword { now_locked: true });
        assert_eq!(state.locked_until, Some(at(16)));
        assert_eq!(
            policy.judge(state, PW, true, true, at(10)).0,
            SignInVerdict::Locked,
            "even the right password"
        );
        assert_eq!(
            policy.judge(state, PW, false, true, at(10)).1,
            state,
            "attempts during a lock do not extend it"
        );
        assert_eq!(
            policy.judge(state, PW, true, true, at(16)).0,
            SignInVerdict::Success,
            "released after 15 minutes"
        );
    }

    #[test]
    fn a_success_resets_the_count() {
        let policy = LockoutPolicy::new(3, SignedDuration::from_mins(5));
        let (_, state) = policy.judge(LockState::default(), PW, false, true, at(0));
        let (_, state) = policy.judge(state, PW, false, true, at(0));
        let (verdict, state) = policy.judge(state, PW, true, true, at(0));
        assert_eq!(
            (verdict, state),
            (SignInVerdict::Success, LockState::default())
        );
    }

    #[test]
    fn a_right_password_before_wrong_codes_does_not_reset_the_count() {
        let policy = LockoutPolicy::DEFAULT;
        let password = AuthStep::Password {
            second_factor_follows: true,
        };
        let mut state = LockState::default();
        let mut locked = false;
        // Right password, wrong code, again and again: the fifth wrong code locks.
        for round in 1..=5 {
            let (verdict, next) = policy.judge(state, password, true, true, at(0));
            assert_eq!(verdict, SignInVerdict::Success, "round {round}");
            let (verdict, next) = policy.judge(next, AuthStep::SecondFactor, false, true, at(0));
            state = next;
            locked = verdict == (SignInVerdict::WrongPassword { now_locked: true });
        }
        assert!(locked, "{state:?}");
        assert_eq!(
            policy.judge(state, password, true, true, at(1)).0,
            SignInVerdict::Locked
        );
        // A wrong current password counts too, and a right one clears nothing.
        let (_, state) = policy.judge(
            LockState::default(),
            AuthStep::CurrentPassword,
            false,
            true,
            at(0),
        );
        let (verdict, state) = policy.judge(state, AuthStep::CurrentPassword, true, true, at(0));
        assert_eq!((verdict, state.failures), (SignInVerdict::Success, 1));
        // Only a completed sign-in clears it.
        let (_, state) = policy.judge(state, AuthStep::SecondFactor, true, true, at(0));
        assert_eq!(state, LockState::default());
    }

    #[test]
    fn an_inactive_account_never_signs_in_and_is_not_counted() {
        let (verdict, state) =
            LockoutPolicy::DEFAULT.judge(LockState::default(), PW, true, false, at(0));
        assert_eq!((verdict, state.failures), (SignInVerdict::Inactive, 0));
        assert_eq!(
            LockoutPolicy::new(0, SignedDuration::from_mins(-3)).threshold(),
            1
        );
    }
}
