//! A tamper-evident log (work in progress).
