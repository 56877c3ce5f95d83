//! Rate limits: sign-ins per source address and per login ID in a fixed
//! one-minute window, and reports per poster link in an hour; kept in memory (a restart forgets it, which only helps a user).
//! The lockout (store) stops guessing one account's password; this stops one
//! address from trying many accounts, and slows a flood on one account from many.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Counts attempts per key within the current window.
#[derive(Debug)]
pub struct RateLimiter {
    per_window: u32,
    window: Duration,
    windows: Mutex<HashMap<String, (Instant, u32)>>,
}

impl RateLimiter {
    /// Allows `per_minute` attempts per key and minute; 0 turns the limit off.
    pub fn new(per_minute: u32) -> Self {
        Self::per_window(per_minute, Duration::from_secs(60))
    }

    /// Allows `n` attempts per key in each `window`; 0 turns the limit off.
    pub fn per_window(n: u32, window: Duration) -> Self {
        Self {
            per_window: n,
            window,
            windows: Mutex::new(HashMap::new()),
        }
    }

    /// Counts one attempt for `key` and says whether it is within the limit.
    pub fn allow(&self, key: &str, now: Instant) -> bool {
        if self.per_window == 0 {
            return true;
        }
        let Ok(mut windows) = self.windows.lock() else {
            return true;
        };
        if windows.len() > 100_000 {
            // Forget finished windows so a scan over many addresses cannot grow memory.
            windows.retain(|_, (start, _)| now.duration_since(*start) < self.window);
        }
        let entry = windows.entry(key.to_owned()).or_insert((now, 0));
        if now.duration_since(entry.0) >= self.window {
            *entry = (now, 0);
        }
        entry.1 = entry.1.saturating_add(1);
        entry.1 <= self.per_window
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attempts_beyond_the_limit_wait_for_the_next_minute() {
        let limiter = RateLimiter::new(3);
        let start = Instant::now();
        assert!((0..3).all(|_| limiter.allow("ip:192.0.2.1", start)));
        assert!(
            !limiter.allow("ip:192.0.2.1", start),
            "the fourth in the minute is refused"
        );
        assert!(
            limiter.allow("ip:192.0.2.2", start),
            "other keys are counted apart"
        );
        assert!(
            limiter.allow("ip:192.0.2.1", start + Duration::from_secs(61)),
            "a new minute starts afresh"
        );
        assert!(
            RateLimiter::new(0).allow("anything", start),
            "0 turns the limit off"
        );
        let hourly = RateLimiter::per_window(2, Duration::from_secs(3600));
        assert!(hourly.allow("poster:a", start) && hourly.allow("poster:a", start));
        assert!(!hourly.allow("poster:a", start + Duration::from_secs(61)));
        assert!(hourly.allow("poster:a", start + Duration::from_secs(3601)));
    }
}
