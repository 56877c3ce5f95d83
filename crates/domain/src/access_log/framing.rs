//! Syslog over TCP (RFC 6587) as an incremental decoder: byte chunks in, as
//! they come from a socket and split anywhere, complete frames out.
//!
//! Each frame is read as octet-counting (`LEN SP MSG`, LEN without leading
//! zero) when it starts with such a length, and as non-transparent framing
//! (ended by LF, tolerating CRLF and NUL) otherwise. A frame longer than the
//! bound is reported with its first bound's worth of bytes (to be kept raw)
//! and the rest skipped without being buffered. Text that is not UTF-8 is
//! kept lossily (U+FFFD).

/// The default largest frame: 64 KiB, as rsyslog and syslog-ng allow.
pub const DEFAULT_MAX_FRAME_BYTES: usize = 64 * 1024;

/// The most digits an octet count may have (a frame of up to 999,999,999 bytes).
const MAX_LENGTH_DIGITS: usize = 9;

/// A frame that could not be delivered.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FrameError {
    /// The frame is longer than the decoder's bound: `head` is its first
    /// `max` bytes, the rest was skipped. `length` is the announced octet
    /// count, or `None` for a line.
    #[error("a frame is longer than {max} bytes")]
    TooLarge {
        /// The bound.
        max: usize,
        /// The octet count, when the sender announced one.
        length: Option<usize>,
        /// The frame's first `max` bytes (lossy UTF-8).
        head: String,
    },
    /// The stream ended inside an octet-counted frame.
    #[error("the stream ended after {received} of {expected} bytes of a frame")]
    Truncated {
        /// The announced octet count.
        expected: usize,
        /// How many bytes of it came.
        received: usize,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// At the start of a frame, not yet known which framing it uses.
    Start,
    /// Inside an octet-counted frame of `length` bytes (the digits and space
    /// already consumed).
    Counted { length: usize },
    /// Keeping the first bound's worth of an oversized counted frame.
    HeadCount { length: usize },
    /// Inside a line (the buffer holds no terminator).
    Line,
    /// Dropping the rest of an oversized counted frame.
    SkipCount { remaining: usize },
    /// Dropping the rest of an oversized line, up to its terminator.
    SkipLine,
}

/// The incremental RFC 6587 decoder of one TCP connection.
#[derive(Debug, Clone)]
pub struct FrameDecoder {
    buffer: Vec<u8>,
    state: State,
    max_frame: usize,
}

impl Default for FrameDecoder {
    fn default() -> Self {
        Self::new(DEFAULT_MAX_FRAME_BYTES)
    }
}

fn is_terminator(byte: u8) -> bool {
    matches!(byte, b'\n' | b'\0')
}

fn lossy(bytes: &[u8]) -> String {
    text(bytes.strip_suffix(b"\r").unwrap_or(bytes))
}

/// `bytes` as text, invalid UTF-8 replaced by U+FFFD.
fn text(bytes: &[u8]) -> String {
    // Checking first is faster than the lossy conversion's scan, and
    // almost every line is valid.
    match std::str::from_utf8(bytes) {
        Ok(text) => text.to_owned(),
        Err(_) => String::from_utf8_lossy(bytes).into_owned(),
    }
}

impl FrameDecoder {
    /// A decoder refusing frames longer than `max_frame` bytes (at least 1).
    pub fn new(max_frame: usize) -> Self {
        Self {
            buffer: Vec::new(),
            state: State::Start,
            max_frame: max_frame.max(1),
        }
    }

    /// How many bytes are held waiting for the rest of a frame (never more
    /// than the bound plus a length prefix).
    pub fn buffered(&self) -> usize {
        self.buffer.len()
    }

    /// Feeds the next chunk and returns the frames it completes, in order.
    /// Empty lines (e.g. a new line after a counted frame) are skipped.
    pub fn push(&mut self, chunk: &[u8]) -> Vec<Result<String, FrameError>> {
        let mut out = Vec::new();
        let mut input = chunk;
        while !input.is_empty() {
            input = self.step(input, &mut out);
        }
        out
    }

    /// Ends the stream: a line without its final new line is delivered; an
    /// unfinished counted frame is reported as truncated.
    pub fn finish(&mut self) -> Option<Result<String, FrameError>> {
        let buffer = std::mem::take(&mut self.buffer);
        let state = std::mem::replace(&mut self.state, State::Start);
        match state {
            State::Counted { length } => Some(Err(FrameError::Truncated {
                expected: length,
                received: buffer.len(),
            })),
            State::HeadCount { length } => Some(Err(self.too_large(Some(length), &buffer))),
            State::Start | State::Line => {
                let content = buffer.strip_suffix(b"\r").unwrap_or(&buffer);
                if content.len() > self.max_frame {
                    return Some(Err(self.too_large(None, content)));
                }
                let text = lossy(&buffer);
                (!text.is_empty()).then_some(Ok(text))
            }
            State::SkipCount { .. } | State::SkipLine => None,
        }
    }

    /// Consumes some of `input` and returns the rest.
    fn step<'a>(&mut self, input: &'a [u8], out: &mut Vec<Result<String, FrameError>>) -> &'a [u8] {
        match self.state {
            State::Start => self.start(input),
            State::Counted { length } => {
                let wanted = length.saturating_sub(self.buffer.len());
                let (taken, rest) = input.split_at(wanted.min(input.len()));
                if taken.len() == wanted && self.buffer.is_empty() {
                    // The whole frame is in this chunk: read in place.
                    out.push(Ok(text(taken)));
                    self.state = State::Start;
                    return rest;
                }
                self.buffer.extend_from_slice(taken);
                if self.buffer.len() >= length {
                    out.push(Ok(text(&self.buffer)));
                    self.buffer.clear();
                    self.state = State::Start;
                }
                rest
            }
            State::HeadCount { length } => {
                let wanted = self.max_frame.saturating_sub(self.buffer.len());
                let (taken, rest) = input.split_at(wanted.min(input.len()));
                self.buffer.extend_from_slice(taken);
                if self.buffer.len() >= self.max_frame {
                    out.push(Err(self.too_large(Some(length), &self.buffer)));
                    self.buffer.clear();
                    self.state = State::SkipCount {
                        remaining: length - self.max_frame,
                    };
                }
                rest
            }
            State::Line => {
                match input.iter().position(|byte| is_terminator(*byte)) {
                    Some(end) => {
                        let (line, rest) = input.split_at(end);
                        let ends_in_cr = line.last().or(self.buffer.last()) == Some(&b'\r');
                        let content = self.buffer.len() + line.len() - usize::from(ends_in_cr);
                        if content > self.max_frame {
                            let mut head = std::mem::take(&mut self.buffer);
                            head.extend_from_slice(line);
                            out.push(Err(self.too_large(None, &head)));
                        } else {
                            self.buffer.extend_from_slice(line);
                            let text = lossy(&self.buffer);
                            if !text.is_empty() {
                                out.push(Ok(text));
                            }
                        }
                        self.buffer.clear();
                        self.state = State::Start;
                        rest.get(1..).unwrap_or(&[])
                    }
                    None => {
                        // Allow one byte beyond the bound for a CR before LF.
                        if self.buffer.len() + input.len() > self.max_frame + 1 {
                            let mut head = std::mem::take(&mut self.buffer);
                            let room = self.max_frame.saturating_sub(head.len());
                            head.extend_from_slice(&input[..room.min(input.len())]);
                            out.push(Err(self.too_large(None, &head)));
                            self.state = State::SkipLine;
                        } else {
                            self.buffer.extend_from_slice(input);
                        }
                        &[]
                    }
                }
            }
            State::SkipCount { remaining } => {
                let skipped = remaining.min(input.len());
                let rest = input.get(skipped..).unwrap_or(&[]);
                self.state = if skipped == remaining {
                    State::Start
                } else {
                    State::SkipCount {
                        remaining: remaining - skipped,
                    }
                };
                rest
            }
            State::SkipLine => match input.iter().position(|byte| is_terminator(*byte)) {
                Some(end) => {
                    self.state = State::Start;
                    input.get(end + 1..).unwrap_or(&[])
                }
                None => &[],
            },
        }
    }

    /// The error for an oversized frame whose first bytes are `head`
    /// (kept up to the bound).
    fn too_large(&self, length: Option<usize>, head: &[u8]) -> FrameError {
        FrameError::TooLarge {
            max: self.max_frame,
            length,
            head: lossy(&head[..head.len().min(self.max_frame)]),
        }
    }

    /// At a frame's start: skip terminators, then decide between a length
    /// prefix and a line, buffering at most the digits until it is known.
    fn start<'a>(&mut self, input: &'a [u8]) -> &'a [u8] {
        let mut input = input;
        if self.buffer.is_empty() {
            // Terminators and a CR between frames are no frame.
            let skip = input
                .iter()
                .take_while(|byte| is_terminator(**byte) || **byte == b'\r')
                .count();
            input = input.get(skip..).unwrap_or(&[]);
            match input.first() {
                None => return input,
                Some(b'1'..=b'9') => {}
                Some(_) => {
                    self.state = State::Line;
                    return input;
                }
            }
        }
        // The buffer holds only digits of a possible length so far.
        for (index, byte) in input.iter().enumerate() {
            match byte {
                b'0'..=b'9' if self.buffer.len() < MAX_LENGTH_DIGITS => self.buffer.push(*byte),
                b' ' => {
                    let length = std::str::from_utf8(&self.buffer)
                        .ok()
                        .and_then(|digits| digits.parse::<usize>().ok())
                        .unwrap_or(0);
                    self.buffer.clear();
                    let rest = input.get(index + 1..).unwrap_or(&[]);
                    self.state = if length > self.max_frame {
                        State::HeadCount { length }
                    } else {
                        State::Counted { length }
                    };
                    return rest;
                }
                _ => {
                    // Not a length: the digits begin a line.
                    self.state = State::Line;
                    return input.get(index..).unwrap_or(&[]);
                }
            }
        }
        &[]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode_all(decoder: &mut FrameDecoder, chunks: &[&[u8]]) -> Vec<Result<String, FrameError>> {
        let mut frames = Vec::new();
        for chunk in chunks {
            frames.extend(decoder.push(chunk));
        }
        frames.extend(decoder.finish());
        frames
    }

    fn ok(text: &str) -> Result<String, FrameError> {
        Ok(text.to_owned())
    }

    const MIXED: &[u8] =
        b"11 <13>hello A\n<14>line one\r\n<15>line two\x0030 <13>1 - - - - - - with\nnewline\n\n";

    fn mixed_expected() -> Vec<Result<String, FrameError>> {
        vec![
            ok("<13>hello A"),
            ok("<14>line one"),
            ok("<15>line two"),
            ok("<13>1 - - - - - - with\nnewline"),
        ]
    }

    #[test]
    fn octet_counting_and_newline_framing_mixed() {
        let mut decoder = FrameDecoder::default();
        assert_eq!(decode_all(&mut decoder, &[MIXED]), mixed_expected());
        assert_eq!(decoder.buffered(), 0);
    }

    #[test]
    fn every_split_point_gives_the_same_frames() {
        for first in 0..=MIXED.len() {
            for second in first..=MIXED.len() {
                let mut decoder = FrameDecoder::default();
                let frames = decode_all(
                    &mut decoder,
                    &[&MIXED[..first], &MIXED[first..second], &MIXED[second..]],
                );
                assert_eq!(frames, mixed_expected(), "split at {first} and {second}");
            }
        }
    }

    #[test]
    fn byte_by_byte() {
        let mut decoder = FrameDecoder::default();
        let chunks: Vec<&[u8]> = MIXED.chunks(1).collect();
        assert_eq!(decode_all(&mut decoder, &chunks), mixed_expected());
    }

    #[test]
    fn oversized_counted_frame_keeps_its_head_and_skips_the_rest() {
        let mut decoder = FrameDecoder::new(16);
        let mut frames = decoder.push(b"40 ");
        assert!(frames.is_empty());
        for _ in 0..4 {
            frames.extend(decoder.push(b"0123456789"));
            // Never more than the head is held.
            assert!(decoder.buffered() <= 16);
        }
        assert_eq!(
            frames,
            vec![Err(FrameError::TooLarge {
                max: 16,
                length: Some(40),
                head: "0123456789012345".to_owned(),
            })]
        );
        frames.extend(decoder.push(b"5 short"));
        assert_eq!(frames.len(), 2);
        assert_eq!(frames[1], ok("short"));
        // Cut off inside the head: what came is kept.
        let mut decoder = FrameDecoder::new(16);
        assert!(decoder.push(b"40 abc").is_empty());
        assert_eq!(
            decoder.finish(),
            Some(Err(FrameError::TooLarge {
                max: 16,
                length: Some(40),
                head: "abc".to_owned(),
            }))
        );
    }

    #[test]
    fn oversized_line_is_reported_once_with_its_head_and_skipped() {
        let mut decoder = FrameDecoder::new(16);
        let mut frames = Vec::new();
        for _ in 0..100 {
            frames.extend(decoder.push(b"abcdefghij"));
            assert!(decoder.buffered() <= 17);
        }
        frames.extend(decoder.push(b"tail\nnext\n"));
        assert_eq!(
            frames,
            vec![
                Err(FrameError::TooLarge {
                    max: 16,
                    length: None,
                    head: "abcdefghijabcdef".to_owned(),
                }),
                ok("next")
            ]
        );
        // A long line arriving whole, terminator included.
        let mut line = vec![b'y'; 40];
        line.extend_from_slice(b"\nok\n");
        assert_eq!(
            decoder.push(&line),
            vec![
                Err(FrameError::TooLarge {
                    max: 16,
                    length: None,
                    head: "y".repeat(16),
                }),
                ok("ok")
            ]
        );
    }

    #[test]
    fn frame_exactly_at_the_bound_passes() {
        let mut decoder = FrameDecoder::new(4);
        assert_eq!(
            decoder.push(b"4 abcdabcd\r\n"),
            vec![ok("abcd"), ok("abcd")]
        );
    }

    #[test]
    fn digits_that_are_no_length_start_a_line() {
        let mut decoder = FrameDecoder::default();
        assert_eq!(
            decode_all(
                &mut decoder,
                &[b"2026-04-01 event\n", b"0 zero\n", b"1234567890123 x\n"]
            ),
            vec![ok("2026-04-01 event"), ok("0 zero"), ok("1234567890123 x")]
        );
    }

    #[test]
    fn invalid_utf8_is_kept_lossily() {
        let mut decoder = FrameDecoder::default();
        assert_eq!(
            decoder.push(b"<13>caf\xe9 \xff\n3 \xe3\x81\x82"),
            vec![ok("<13>caf\u{fffd} \u{fffd}"), ok("あ")]
        );
    }

    #[test]
    fn a_counted_frame_reads_the_same_whole_or_in_pieces() {
        // Its bytes exactly: a CR or new line inside is kept, invalid
        // UTF-8 replaced, whether the frame came in one read or many.
        let stream: &[u8] = b"6 a\xffb\r\nc4 \xe3\x81\x82\r";
        let expected = vec![ok("a\u{fffd}b\r\nc"), ok("\u{3042}\r")];
        assert_eq!(FrameDecoder::default().push(stream), expected);
        let mut decoder = FrameDecoder::default();
        let chunks: Vec<&[u8]> = stream.chunks(1).collect();
        assert_eq!(decode_all(&mut decoder, &chunks), expected);
    }

    #[test]
    fn end_of_stream() {
        let mut decoder = FrameDecoder::default();
        assert_eq!(decode_all(&mut decoder, &[]), vec![]);
        assert_eq!(
            decode_all(&mut decoder, &[b"no newline"]),
            vec![ok("no newline")]
        );
        assert_eq!(
            decode_all(&mut decoder, &[b"10 abc"]),
            vec![Err(FrameError::Truncated {
                expected: 10,
                received: 3
            })]
        );
        assert_eq!(decode_all(&mut decoder, &[b"123"]), vec![ok("123")]);
        assert_eq!(decode_all(&mut decoder, &[b"\n\n\r\n\0"]), vec![]);
    }

    #[test]
    fn garbage_never_panics_and_stays_bounded() {
        let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        for round in 0..200 {
            let mut decoder = FrameDecoder::new(64 + round);
            for _ in 0..50 {
                let length = usize::try_from(next() % 300).unwrap();
                let alphabet = b"0123456789 \n\r\0<>abc\xff";
                let chunk: Vec<u8> = (0..length)
                    .map(|_| alphabet[usize::try_from(next() % 20).unwrap()])
                    .collect();
                for frame in decoder.push(&chunk).into_iter().flatten() {
                    assert!(frame.len() <= 3 * (64 + round));
                }
                assert!(decoder.buffered() <= 64 + round + MAX_LENGTH_DIGITS + 1);
            }
            let _ = decoder.finish();
        }
    }
}
