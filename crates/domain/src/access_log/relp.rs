//! RELP, rsyslog's Reliable Event Logging Protocol, as an incremental
//! decoder and the server's answers. A RELP sender (rsyslog's `omrelp`)
//! numbers each message and keeps it until the receiver answers `200 OK` for
//! that number, so the receiver answers only once the message is durably
//! written: what the sender was told is kept survives a killed server, and
//! what it was not told it sends again after reconnecting.
//!
//! A frame is `TXNR SP COMMAND SP DATALEN [SP DATA] LF`: TXNR 1–9 digits,
//! COMMAND 1–32 ASCII letters, DATALEN 1–9 digits, DATA exactly DATALEN
//! bytes. A frame that breaks this is a protocol error that ends the
//! connection (RELP has no way to resynchronise); the sender then reconnects
//! and sends what was not answered again. DATA over the decoder's bound is
//! reported with its first bound's worth of bytes, the rest skipped.

/// The most digits of a transaction number or a data length.
const MAX_DIGITS: usize = 9;
/// The longest command name.
const MAX_COMMAND: usize = 32;

/// One frame read from the sender.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RelpFrame {
    /// The transaction number the answer must carry.
    pub txnr: u32,
    /// The command (`open`, `syslog`, `close`, …).
    pub command: String,
    /// The data, at most the decoder's bound of it.
    pub data: Vec<u8>,
    /// The announced length when `data` holds only its first part.
    pub cut_from: Option<usize>,
}

/// A frame that breaks the protocol: the connection must end.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a RELP frame: {0}")]
pub struct RelpError(pub &'static str);

#[derive(Debug, Clone, PartialEq, Eq)]
enum State {
    Header,
    Data { frame: RelpFrame, remaining: usize },
    Trailer { frame: RelpFrame },
}

/// The incremental decoder of one RELP connection.
#[derive(Debug, Clone)]
pub struct RelpDecoder {
    buffer: Vec<u8>,
    state: State,
    max_data: usize,
}

/// What reading the head of the buffer as a frame header gave.
enum Header {
    /// Not enough bytes yet.
    More,
    /// The header, and how many bytes it took (through the SP before the data).
    Read {
        txnr: u32,
        command: String,
        length: usize,
        consumed: usize,
    },
}

/// Reads `digits SP|LF` at `at`: the number, and where its separator is.
fn number(bytes: &[u8], at: usize, what: &'static str) -> Result<Option<(u64, usize)>, RelpError> {
    let mut end = at;
    while end < bytes.len() && bytes[end].is_ascii_digit() {
        end += 1;
        if end - at > MAX_DIGITS {
            return Err(RelpError(what));
        }
    }
    if end == bytes.len() {
        return Ok(None);
    }
    if end == at || !matches!(bytes[end], b' ' | b'\n') {
        return Err(RelpError(what));
    }
    let digits = std::str::from_utf8(&bytes[at..end]).map_err(|_| RelpError(what))?;
    let value = digits.parse().map_err(|_| RelpError(what))?;
    Ok(Some((value, end)))
}

fn header(bytes: &[u8]) -> Result<Header, RelpError> {
    let Some((txnr, space)) = number(bytes, 0, "the transaction number is not 1–9 digits")?
    else {
        return Ok(Header::More);
    };
    if bytes[space] != b' ' {
        return Err(RelpError("no command after the transaction number"));
    }
    let start = space + 1;
    let mut end = start;
    while end < bytes.len() && bytes[end].is_ascii_alphabetic() {
        end += 1;
        if end - start > MAX_COMMAND {
            return Err(RelpError("the command is longer than 32 letters"));
        }
    }
    if end == bytes.len() {
        return Ok(Header::More);
    }
    if end == start || bytes[end] != b' ' {
        return Err(RelpError("the command is not 1–32 letters"));
    }
    let command = String::from_utf8_lossy(&bytes[start..end]).into_owned();
    let Some((length, separator)) = number(bytes, end + 1, "the data length is not 1–9 digits")?
    else {
        return Ok(Header::More);
    };
    let length = usize::try_from(length).map_err(|_| RelpError("the data length is too large"))?;
    if length > 0 && bytes[separator] != b' ' {
        return Err(RelpError("no space before the data"));
    }
    let txnr = u32::try_from(txnr).map_err(|_| RelpError("the transaction number is too large"))?;
    Ok(Header::Read {
        txnr,
        command,
        length,
        // A zero-length frame's LF is its trailer, read next.
        consumed: if length > 0 { separator + 1 } else { separator },
    })
}

impl RelpDecoder {
    /// A decoder that keeps at most `max_data` bytes of a frame's data.
    pub fn new(max_data: usize) -> Self {
        Self {
            buffer: Vec::new(),
            state: State::Header,
            max_data,
        }
    }

    /// Feeds the next bytes from the connection; returns the frames they
    /// complete, or the protocol error that ends it.
    pub fn push(&mut self, bytes: &[u8]) -> Result<Vec<RelpFrame>, RelpError> {
        self.buffer.extend_from_slice(bytes);
        let mut frames = Vec::new();
        let mut at = 0;
        loop {
            let (next, progressed) = match std::mem::replace(&mut self.state, State::Header) {
                State::Header => match header(&self.buffer[at..])? {
                    Header::More => (State::Header, false),
                    Header::Read {
                        txnr,
                        command,
                        length,
                        consumed,
                    } => {
                        at += consumed;
                        let frame = RelpFrame {
                            txnr,
                            command,
                            data: Vec::with_capacity(length.min(self.max_data)),
                            cut_from: (length > self.max_data).then_some(length),
                        };
                        let next = if length == 0 {
                            State::Trailer { frame }
                        } else {
                            State::Data {
                                frame,
                                remaining: length,
                            }
                        };
                        (next, true)
                    }
                },
                State::Data {
                    mut frame,
                    remaining,
                } => {
                    let available = (self.buffer.len() - at).min(remaining);
                    let room = self.max_data.saturating_sub(frame.data.len());
                    frame
                        .data
                        .extend_from_slice(&self.buffer[at..at + available.min(room)]);
                    at += available;
                    match remaining - available {
                        0 => (State::Trailer { frame }, true),
                        remaining => (State::Data { frame, remaining }, false),
                    }
                }
                State::Trailer { frame } => match self.buffer.get(at) {
                    None => (State::Trailer { frame }, false),
                    Some(b'\n') => {
                        at += 1;
                        frames.push(frame);
                        (State::Header, true)
                    }
                    Some(_) => return Err(RelpError("the frame does not end with LF")),
                },
            };
            self.state = next;
            if !progressed {
                break;
            }
        }
        self.buffer.drain(..at);
        Ok(frames)
    }
}

/// The answer to transaction `txnr`: `TXNR rsp LEN TEXT LF`.
pub fn response(txnr: u32, text: &str) -> Vec<u8> {
    if text.is_empty() {
        format!("{txnr} rsp 0\n").into_bytes()
    } else {
        format!("{txnr} rsp {} {text}\n", text.len()).into_bytes()
    }
}

/// The answer to `open`: accepted, offering RELP version 0 and the
/// `syslog` command (a sender that needs more closes the session).
pub fn open_response(txnr: u32, software: &str) -> Vec<u8> {
    response(
        txnr,
        &format!("200 OK\nrelp_version=0\nrelp_software={software}\ncommands=syslog"),
    )
}

/// The hint a server sends before it closes the connection.
pub const SERVER_CLOSE: &[u8] = b"0 serverclose 0\n";

#[cfg(test)]
mod tests {
    use super::*;

    fn frames(decoder: &mut RelpDecoder, bytes: &[u8]) -> Vec<(u32, String, String)> {
        decoder
            .push(bytes)
            .expect("frames")
            .into_iter()
            .map(|frame| {
                (
                    frame.txnr,
                    frame.command,
                    String::from_utf8_lossy(&frame.data).into_owned(),
                )
            })
            .collect()
    }

    #[test]
    fn a_session_split_anywhere_gives_the_same_frames() {
        let session = b"1 open 30 relp_version=0\ncommands=syslog\n\
                        2 syslog 11 <13>1 hello\n\
                        3 syslog 5 a\nb c\n\
                        4 close 0\n";
        let whole = frames(&mut RelpDecoder::new(1024), session);
        assert_eq!(
            whole,
            vec![
                (1, "open".into(), "relp_version=0\ncommands=syslog".into()),
                (2, "syslog".into(), "<13>1 hello".into()),
                (3, "syslog".into(), "a\nb c".into()),
                (4, "close".into(), String::new()),
            ]
        );
        for size in 1..8 {
            let mut decoder = RelpDecoder::new(1024);
            let mut split = Vec::new();
            for chunk in session.chunks(size) {
                split.extend(frames(&mut decoder, chunk));
            }
            assert_eq!(split, whole, "split every {size} bytes");
        }
    }

    #[test]
    fn data_over_the_bound_keeps_its_head_and_the_next_frame_is_read() {
        let mut decoder = RelpDecoder::new(4);
        let read = decoder
            .push(b"7 syslog 10 0123456789\n8 syslog 2 ok\n")
            .expect("frames");
        assert_eq!(read[0].data, b"0123");
        assert_eq!(read[0].cut_from, Some(10));
        assert_eq!(read[1].data, b"ok");
        assert_eq!(read[1].cut_from, None);
    }

    #[test]
    fn broken_frames_end_the_connection_with_the_reason() {
        for (bytes, reason) in [
            (&b"x syslog 1 a\n"[..], "transaction number"),
            (b"1234567890 syslog 1 a\n", "transaction number"),
            (b"1 sys-log 1 a\n", "command"),
            (b"1 syslog abc\n", "data length"),
            (b"1 syslog 1234567890 a\n", "data length"),
            (b"1 syslog 3 abcX", "LF"),
            (b"1 syslog 1\na\n", "space before the data"),
        ] {
            let error = RelpDecoder::new(64)
                .push(bytes)
                .expect_err("a protocol error");
            assert!(
                error.to_string().contains(reason),
                "{:?}: {error}",
                String::from_utf8_lossy(bytes)
            );
        }
        // An incomplete header is not an error yet.
        assert_eq!(RelpDecoder::new(64).push(b"12 sysl").expect("more"), vec![]);
    }

    #[test]
    fn answers_carry_the_transaction_and_the_length_of_their_text() {
        assert_eq!(response(5, "200 OK"), b"5 rsp 6 200 OK\n");
        assert_eq!(response(9, ""), b"9 rsp 0\n");
        let open = String::from_utf8(open_response(1, "mamori")).expect("text");
        let (head, text) = open.split_at("1 rsp ".len());
        assert_eq!(head, "1 rsp ");
        let (length, rest) = text.split_once(' ').expect("length");
        assert_eq!(length.parse::<usize>().expect("a number") + 1, rest.len());
        assert!(rest.starts_with("200 OK\n") && rest.contains("commands=syslog"));
    }
}
