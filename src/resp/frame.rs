//! RESP values.

use bytes::Bytes;

/// The protocol version a client negotiated with `HELLO`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Protocol {
    /// RESP2, the default.
    #[default]
    Resp2,
    /// RESP3, after `HELLO 3`.
    Resp3,
}

/// A RESP value, as a reply to send or a reply received from a server.
///
/// RESP3-only variants are written in their RESP2 form to RESP2 clients
/// (a map becomes a flat array of alternating keys and values, a push an
/// array, a double a bulk string, a boolean an integer), which is exactly
/// what redis-sentinel does.
#[derive(Debug, Clone, PartialEq)]
pub enum Frame {
    /// `+OK`
    Simple(String),
    /// `-ERR ...`: the text after the `-`, error code included.
    Error(String),
    /// `:1`
    Integer(i64),
    /// `$3\r\nfoo`
    Bulk(Bytes),
    /// A number as a bulk string (`$2\r\n42`), as redis sends the numbers of
    /// its field maps; formatted when encoded, so a reply of many numbers
    /// allocates nothing for them.
    BulkNumber(i64),
    /// A null bulk string: `$-1` in RESP2, `_` in RESP3.
    Null,
    /// A null array: `*-1` in RESP2, `_` in RESP3.
    NullArray,
    /// `*N`
    Array(Vec<Frame>),
    /// `%N` in RESP3, a flat array in RESP2.
    Map(Vec<(Frame, Frame)>),
    /// `>N` in RESP3 (pub/sub messages), an array in RESP2.
    Push(Vec<Frame>),
    /// `,1.5` in RESP3, a bulk string in RESP2.
    Double(f64),
    /// `#t` in RESP3, `:1` in RESP2.
    Boolean(bool),
    /// `=N\r\ntxt:...` in RESP3, a bulk string in RESP2 (INFO replies).
    Verbatim(String),
}

impl Frame {
    /// `+OK`.
    pub fn ok() -> Frame {
        Frame::Simple("OK".into())
    }

    /// A bulk string from text.
    pub fn bulk(s: impl Into<String>) -> Frame {
        Frame::Bulk(Bytes::from(s.into()))
    }

    /// An error reply; `text` includes the code (`ERR ...`, `NOAUTH ...`).
    pub fn error(text: impl Into<String>) -> Frame {
        Frame::Error(text.into())
    }

    /// A map whose keys are bulk strings (a `&'static str` key is not
    /// copied).
    pub fn map<I, K>(pairs: I) -> Frame
    where
        I: IntoIterator<Item = (K, Frame)>,
        K: Into<Bytes>,
    {
        Frame::Map(pairs.into_iter().map(|(k, v)| (Frame::Bulk(k.into()), v)).collect())
    }

    /// The text of a bulk or simple string, if this is one and valid UTF-8.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Frame::Simple(s) | Frame::Verbatim(s) => Some(s),
            Frame::Bulk(b) => std::str::from_utf8(b).ok(),
            _ => None,
        }
    }

    /// True for an error reply.
    pub fn is_error(&self) -> bool {
        matches!(self, Frame::Error(_))
    }
}
