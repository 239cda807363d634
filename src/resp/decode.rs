//! Incremental decoding of requests (RESP2 multibulk and inline) and replies.
//!
//! Both decoders take the bytes received so far and return `Ok(None)` when
//! more are needed, `Ok(Some((value, consumed)))` when one value is complete,
//! or a [`ProtocolError`] after which the connection must be closed. Lengths
//! are validated as soon as their header line is complete, so the caller
//! never buffers more than [`Limits`] allow.

use bytes::Bytes;

use super::Frame;

/// The result of a successful decode: the value and the bytes it used.
pub type Decoded<T> = Option<(T, usize)>;

/// Limits enforced while decoding, before any byte is buffered for a value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest bulk string accepted.
    pub max_bulk_len: usize,
    /// Largest number of elements in one array.
    pub max_multibulk_len: usize,
    /// Longest inline command line, and longest header line.
    pub max_inline_len: usize,
    /// Deepest nesting of arrays in a reply.
    pub max_depth: usize,
}

impl Limits {
    /// Limits for client requests. A sentinel's commands are short: 1 MiB
    /// per argument is far beyond anything a client sends to a sentinel.
    pub const REQUEST: Limits = Limits {
        max_bulk_len: 1024 * 1024,
        max_multibulk_len: 64 * 1024,
        max_inline_len: 64 * 1024,
        max_depth: 1,
    };

    /// Limits for replies from monitored servers and peers (INFO can be large).
    pub const REPLY: Limits = Limits {
        max_bulk_len: 64 * 1024 * 1024,
        max_multibulk_len: 1024 * 1024,
        max_inline_len: 64 * 1024,
        max_depth: 8,
    };
}

/// A request or reply that breaks the protocol; the connection is closed.
///
/// The `Display` texts are redis's own (`-ERR Protocol error: ...`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ProtocolError {
    /// An inline line longer than the limit, with no newline.
    #[error("Protocol error: too big inline request")]
    TooBigInline,
    /// An inline line with unbalanced quotes.
    #[error("Protocol error: unbalanced quotes in request")]
    UnbalancedQuotes,
    /// A multibulk header line longer than the limit.
    #[error("Protocol error: too big mbulk count string")]
    TooBigMultibulkCount,
    /// A multibulk count that is not a number or beyond the limit.
    #[error("Protocol error: invalid multibulk length")]
    InvalidMultibulkLength,
    /// A bulk header line longer than the limit.
    #[error("Protocol error: too big bulk count string")]
    TooBigBulkCount,
    /// An array element that is not a bulk string.
    #[error("Protocol error: expected '$', got '{0}'")]
    ExpectedBulk(char),
    /// A bulk length that is not a number or beyond the limit.
    #[error("Protocol error: invalid bulk length")]
    InvalidBulkLength,
    /// A reply with an unknown type byte or a malformed line.
    #[error("Protocol error: invalid reply")]
    InvalidReply,
    /// A reply nested deeper than the limit.
    #[error("Protocol error: reply nested too deeply")]
    TooDeep,
}

/// Decodes one client request into its arguments.
///
/// An empty `Vec` means an empty request (a blank inline line or `*0`),
/// which the caller skips, as redis does.
pub fn decode_request(buf: &[u8], limits: &Limits) -> Result<Decoded<Vec<Bytes>>, ProtocolError> {
    match buf.first() {
        None => Ok(None),
        Some(b'*') => decode_multibulk(buf, limits),
        Some(_) => decode_inline(buf, limits),
    }
}

fn decode_inline(buf: &[u8], limits: &Limits) -> Result<Decoded<Vec<Bytes>>, ProtocolError> {
    let Some(nl) = buf.iter().position(|&b| b == b'\n') else {
        if buf.len() > limits.max_inline_len {
            return Err(ProtocolError::TooBigInline);
        }
        return Ok(None);
    };
    if nl > limits.max_inline_len {
        return Err(ProtocolError::TooBigInline);
    }
    let mut line = &buf[..nl];
    if let Some(stripped) = line.strip_suffix(b"\r") {
        line = stripped;
    }
    // The same quoting rules as a config line (redis's sdssplitargs).
    let args = crate::quoting::split_bytes(line)
        .map_err(|_| ProtocolError::UnbalancedQuotes)?
        .into_iter()
        .map(Bytes::from)
        .collect();
    Ok(Some((args, nl + 1)))
}

/// Reads a header line (`*3`, `$5`, `:1`...) starting at `at`: returns the
/// text after the type byte and the index just past the CRLF.
fn header_line(buf: &[u8], at: usize, max: usize) -> Result<Option<(&[u8], usize)>, ()> {
    let rest = &buf[at..];
    match rest.iter().position(|&b| b == b'\n') {
        Some(nl) if nl > max => Err(()),
        Some(nl) => {
            // A line of just "\n" has no type byte to skip (a reply of
            // "\n" used to panic here: found by fuzzing).
            let line = rest.get(1..nl).unwrap_or_default();
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            Ok(Some((line, at + nl + 1)))
        }
        None if rest.len() > max => Err(()),
        None => Ok(None),
    }
}

fn parse_len(text: &[u8]) -> Option<i64> {
    // Plain digits (every length a client sends) without the UTF-8 check
    // and the general parser; anything else (a sign, 19 digits or more)
    // the slow way.
    if !text.is_empty() && text.len() < 19 && text.iter().all(u8::is_ascii_digit) {
        return Some(text.iter().fold(0, |n, d| n * 10 + i64::from(d - b'0')));
    }
    std::str::from_utf8(text).ok()?.parse().ok()
}

fn decode_multibulk(buf: &[u8], limits: &Limits) -> Result<Decoded<Vec<Bytes>>, ProtocolError> {
    let Some((count, mut pos)) = header_line(buf, 0, limits.max_inline_len)
        .map_err(|()| ProtocolError::TooBigMultibulkCount)?
    else {
        return Ok(None);
    };
    let count = parse_len(count).ok_or(ProtocolError::InvalidMultibulkLength)?;
    if count > limits.max_multibulk_len as i64 {
        return Err(ProtocolError::InvalidMultibulkLength);
    }
    if count <= 0 {
        return Ok(Some((Vec::new(), pos)));
    }
    let mut args = Vec::with_capacity((count as usize).min(64));
    for _ in 0..count {
        let Some(&kind) = buf.get(pos) else { return Ok(None) };
        if kind != b'$' {
            return Err(ProtocolError::ExpectedBulk(kind as char));
        }
        let Some((len, body)) = header_line(buf, pos, limits.max_inline_len)
            .map_err(|()| ProtocolError::TooBigBulkCount)?
        else {
            return Ok(None);
        };
        let len = parse_len(len).ok_or(ProtocolError::InvalidBulkLength)?;
        if len < 0 || len > limits.max_bulk_len as i64 {
            return Err(ProtocolError::InvalidBulkLength);
        }
        let len = len as usize;
        if buf.len() < body + len + 2 {
            return Ok(None);
        }
        args.push(Bytes::copy_from_slice(&buf[body..body + len]));
        pos = body + len + 2;
    }
    Ok(Some((args, pos)))
}

/// Decodes one reply from a server (RESP2, and RESP3 types for robustness).
pub fn decode_reply(buf: &[u8], limits: &Limits) -> Result<Decoded<Frame>, ProtocolError> {
    decode_frame(buf, 0, limits, 0)
}

fn decode_frame(
    buf: &[u8],
    at: usize,
    limits: &Limits,
    depth: usize,
) -> Result<Decoded<Frame>, ProtocolError> {
    let Some(&kind) = buf.get(at) else { return Ok(None) };
    let Some((line, next)) =
        header_line(buf, at, limits.max_inline_len).map_err(|()| ProtocolError::InvalidReply)?
    else {
        return Ok(None);
    };
    let text = || String::from_utf8_lossy(line).into_owned();
    let frame = match kind {
        b'+' => Frame::Simple(text()),
        b'-' => Frame::Error(text()),
        b':' => Frame::Integer(parse_len(line).ok_or(ProtocolError::InvalidReply)?),
        b'_' => Frame::Null,
        b'#' => Frame::Boolean(line == b"t"),
        b',' => Frame::Double(text().parse().map_err(|_| ProtocolError::InvalidReply)?),
        b'$' | b'=' | b'!' => {
            let len = parse_len(line).ok_or(ProtocolError::InvalidBulkLength)?;
            if len < 0 {
                return Ok(Some((Frame::Null, next)));
            }
            if len > limits.max_bulk_len as i64 {
                return Err(ProtocolError::InvalidBulkLength);
            }
            let len = len as usize;
            if buf.len() < next + len + 2 {
                return Ok(None);
            }
            let body = &buf[next..next + len];
            let frame = match kind {
                b'$' => Frame::Bulk(Bytes::copy_from_slice(body)),
                b'!' => Frame::Error(String::from_utf8_lossy(body).into_owned()),
                // Verbatim strings carry a 4-byte format prefix (`txt:`).
                _ => Frame::Verbatim(
                    String::from_utf8_lossy(body.get(4..).unwrap_or(b"")).into_owned(),
                ),
            };
            return Ok(Some((frame, next + len + 2)));
        }
        b'*' | b'>' | b'%' | b'~' => {
            if depth >= limits.max_depth {
                return Err(ProtocolError::TooDeep);
            }
            let count = parse_len(line).ok_or(ProtocolError::InvalidMultibulkLength)?;
            if count < 0 {
                return Ok(Some((Frame::NullArray, next)));
            }
            let elements = if kind == b'%' { count.saturating_mul(2) } else { count };
            if elements > limits.max_multibulk_len as i64 {
                return Err(ProtocolError::InvalidMultibulkLength);
            }
            let mut items = Vec::with_capacity((elements as usize).min(64));
            let mut pos = next;
            for _ in 0..elements {
                let Some((item, used)) = decode_frame(buf, pos, limits, depth + 1)? else {
                    return Ok(None);
                };
                items.push(item);
                pos = used;
            }
            let frame = match kind {
                b'>' => Frame::Push(items),
                b'%' => {
                    let mut pairs = Vec::with_capacity(items.len() / 2);
                    let mut it = items.into_iter();
                    while let (Some(k), Some(v)) = (it.next(), it.next()) {
                        pairs.push((k, v));
                    }
                    Frame::Map(pairs)
                }
                _ => Frame::Array(items),
            };
            return Ok(Some((frame, pos)));
        }
        _ => return Err(ProtocolError::InvalidReply),
    };
    Ok(Some((frame, next)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(input: &[u8]) -> Result<Decoded<Vec<Bytes>>, ProtocolError> {
        decode_request(input, &Limits::REQUEST)
    }

    fn args(v: &[&str]) -> Vec<Bytes> {
        v.iter().map(|s| Bytes::copy_from_slice(s.as_bytes())).collect()
    }

    #[test]
    fn multibulk_complete_and_partial() {
        let full = b"*2\r\n$4\r\nPING\r\n$2\r\nhi\r\n";
        assert_eq!(req(full), Ok(Some((args(&["PING", "hi"]), full.len()))));
        for cut in 0..full.len() {
            assert_eq!(req(&full[..cut]), Ok(None), "prefix of {cut} bytes");
        }
    }

    #[test]
    fn inline_with_quotes() {
        let line = b"SENTINEL \"get-master-addr-by-name\" 'my master' \"a\\x41\\n\"\r\n";
        let (got, used) = req(line).unwrap().unwrap();
        assert_eq!(got, args(&["SENTINEL", "get-master-addr-by-name", "my master", "aA\n"]));
        assert_eq!(used, line.len());
        assert_eq!(req(b"PING\n"), Ok(Some((args(&["PING"]), 5))));
        assert_eq!(req(b"   \r\n"), Ok(Some((vec![], 5))));
    }

    #[test]
    fn hostile_lengths_are_refused_before_buffering() {
        assert_eq!(req(b"*99999999999\r\n"), Err(ProtocolError::InvalidMultibulkLength));
        assert_eq!(req(b"*1\r\n$99999999999\r\n"), Err(ProtocolError::InvalidBulkLength));
        assert_eq!(req(b"*1\r\n$-5\r\n"), Err(ProtocolError::InvalidBulkLength));
        assert_eq!(req(b"*x\r\n"), Err(ProtocolError::InvalidMultibulkLength));
        assert_eq!(req(b"*1\r\n:1\r\n"), Err(ProtocolError::ExpectedBulk(':')));
        assert_eq!(req(&vec![b'a'; 70_000]), Err(ProtocolError::TooBigInline));
        assert_eq!(req(&vec![b'*'; 70_000]), Err(ProtocolError::TooBigMultibulkCount));
        assert_eq!(req(b"GET \"abc\r\n"), Err(ProtocolError::UnbalancedQuotes));
        assert_eq!(req(b"GET \"abc\"x\r\n"), Err(ProtocolError::UnbalancedQuotes));
    }

    #[test]
    fn replies_of_every_type() {
        let input = b"*6\r\n+OK\r\n-ERR no\r\n:42\r\n$-1\r\n*-1\r\n$3\r\nabc\r\n";
        let (frame, used) = decode_reply(input, &Limits::REPLY).unwrap().unwrap();
        assert_eq!(used, input.len());
        assert_eq!(
            frame,
            Frame::Array(vec![
                Frame::Simple("OK".into()),
                Frame::Error("ERR no".into()),
                Frame::Integer(42),
                Frame::Null,
                Frame::NullArray,
                Frame::bulk("abc"),
            ])
        );
        for cut in 0..input.len() {
            assert_eq!(decode_reply(&input[..cut], &Limits::REPLY), Ok(None));
        }
        let map = b"%1\r\n+a\r\n:1\r\n";
        assert_eq!(
            decode_reply(map, &Limits::REPLY).unwrap().unwrap().0,
            Frame::Map(vec![(Frame::Simple("a".into()), Frame::Integer(1))])
        );
    }

    #[test]
    fn bare_newlines_are_refused() {
        // Found by fuzzing: a reply starting with a newline (a one-byte
        // header line) used to panic, aborting the process.
        for input in [&b"\n"[..], b"\r\n", b"*1\r\n\n", b"%1\r\n+a\r\n\n"] {
            assert_eq!(decode_reply(input, &Limits::REPLY), Err(ProtocolError::InvalidReply));
        }
        assert_eq!(req(b"\n"), Ok(Some((vec![], 1))));
        assert_eq!(req(b"*1\r\n\n"), Err(ProtocolError::ExpectedBulk('\n')));
    }

    #[test]
    fn deep_nesting_is_refused() {
        let deep = b"*1\r\n".repeat(20);
        assert_eq!(decode_reply(&deep, &Limits::REPLY), Err(ProtocolError::TooDeep));
    }
}
