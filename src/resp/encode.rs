//! Encoding frames for a client of a given protocol version.

use bytes::Bytes;

use super::{Frame, Protocol};

impl Frame {
    /// Appends this frame, in the client's protocol, to `out`.
    pub fn encode(&self, proto: Protocol, out: &mut Vec<u8>) {
        let resp3 = proto == Protocol::Resp3;
        match self {
            Frame::Simple(s) => line(out, b'+', s.as_bytes()),
            Frame::Error(s) => line(out, b'-', s.as_bytes()),
            Frame::Integer(n) => line(out, b':', itoa::Buffer::new().format(*n).as_bytes()),
            Frame::Bulk(b) => bulk(out, b),
            Frame::BulkNumber(n) => bulk(out, itoa::Buffer::new().format(*n).as_bytes()),
            Frame::Null if resp3 => out.extend_from_slice(b"_\r\n"),
            Frame::Null => out.extend_from_slice(b"$-1\r\n"),
            Frame::NullArray if resp3 => out.extend_from_slice(b"_\r\n"),
            Frame::NullArray => out.extend_from_slice(b"*-1\r\n"),
            Frame::Array(items) => {
                header(out, b'*', items.len());
                items.iter().for_each(|f| f.encode(proto, out));
            }
            Frame::Push(items) => {
                header(out, if resp3 { b'>' } else { b'*' }, items.len());
                items.iter().for_each(|f| f.encode(proto, out));
            }
            Frame::Map(pairs) => {
                if resp3 {
                    header(out, b'%', pairs.len());
                } else {
                    header(out, b'*', pairs.len() * 2);
                }
                for (k, v) in pairs {
                    k.encode(proto, out);
                    v.encode(proto, out);
                }
            }
            Frame::Double(d) if resp3 => line(out, b',', format_double(*d).as_bytes()),
            Frame::Double(d) => bulk(out, format_double(*d).as_bytes()),
            Frame::Boolean(b) if resp3 => line(out, b'#', if *b { b"t" } else { b"f" }),
            Frame::Boolean(b) => line(out, b':', if *b { b"1" } else { b"0" }),
            Frame::Verbatim(s) if resp3 => {
                header(out, b'=', s.len() + 4);
                out.extend_from_slice(b"txt:");
                out.extend_from_slice(s.as_bytes());
                out.extend_from_slice(b"\r\n");
            }
            Frame::Verbatim(s) => bulk(out, s.as_bytes()),
        }
    }

    /// This frame encoded as RESP2 bytes (used for commands sent to servers).
    pub fn to_bytes(&self, proto: Protocol) -> Vec<u8> {
        let mut out = Vec::new();
        self.encode(proto, &mut out);
        out
    }
}

/// Encodes a command (an array of bulk strings), as sent to a server.
pub fn encode_command<S: AsRef<[u8]>>(args: &[S], out: &mut Vec<u8>) {
    header(out, b'*', args.len());
    for a in args {
        bulk(out, a.as_ref());
    }
}

/// A command to a server, encoded as it goes on the wire: an array of
/// bulk strings.
///
/// The core encodes each command once, into one buffer of its exact size,
/// and the link task copies it into its write as is. A command as a list
/// of arguments cost a list and a buffer per argument, then an encoding
/// pass in the link task: with a thousand masters, some 3000 commands a
/// second (PINGs, hellos, INFOs). The commands sent most often without
/// arguments are constants ([`EncodedCommand::PING`]), which allocate
/// nothing.
#[derive(Clone, PartialEq, Eq)]
pub struct EncodedCommand(Bytes);

impl EncodedCommand {
    /// `PING`.
    pub const PING: EncodedCommand = EncodedCommand::from_static(b"*1\r\n$4\r\nPING\r\n");
    /// `INFO`.
    pub const INFO: EncodedCommand = EncodedCommand::from_static(b"*1\r\n$4\r\nINFO\r\n");
    /// `MULTI`.
    pub const MULTI: EncodedCommand = EncodedCommand::from_static(b"*1\r\n$5\r\nMULTI\r\n");
    /// `EXEC`.
    pub const EXEC: EncodedCommand = EncodedCommand::from_static(b"*1\r\n$4\r\nEXEC\r\n");

    /// A command already encoded (the constants above; a unit test checks
    /// each against [`EncodedCommand::new`]).
    const fn from_static(encoded: &'static [u8]) -> EncodedCommand {
        EncodedCommand(Bytes::from_static(encoded))
    }

    /// Encodes a command and its arguments.
    pub fn new<'a, I>(args: I) -> EncodedCommand
    where
        I: IntoIterator<Item = &'a [u8]>,
        I::IntoIter: Clone,
    {
        let args = args.into_iter();
        let digits = |n: usize| itoa::Buffer::new().format(n).len();
        let (mut count, mut len) = (0, 0);
        for a in args.clone() {
            count += 1;
            len += 1 + digits(a.len()) + 2 + a.len() + 2;
        }
        let mut out = Vec::with_capacity(1 + digits(count) + 2 + len);
        header(&mut out, b'*', count);
        args.for_each(|a| bulk(&mut out, a));
        debug_assert_eq!(out.len(), out.capacity(), "exact size");
        EncodedCommand(Bytes::from(out))
    }

    /// The bytes to write.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// The command and its arguments, decoded again (for tests and
    /// debugging output).
    pub fn args(&self) -> Vec<Bytes> {
        let limits = super::Limits { max_bulk_len: self.0.len(), ..super::Limits::REPLY };
        match super::decode_request(&self.0, &limits) {
            Ok(Some((args, _))) => args,
            _ => vec![self.0.clone()],
        }
    }
}

impl std::fmt::Debug for EncodedCommand {
    /// The arguments, as the list of `Bytes` it replaced printed them.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.args()).finish()
    }
}

fn line(out: &mut Vec<u8>, kind: u8, body: &[u8]) {
    out.push(kind);
    // Error and status lines must not contain CR or LF: replace them, as
    // redis does, so that a reply can never inject a second reply.
    if body.iter().any(|&b| b == b'\r' || b == b'\n') {
        out.extend(body.iter().map(|&b| if b == b'\r' || b == b'\n' { b' ' } else { b }));
    } else {
        out.extend_from_slice(body);
    }
    out.extend_from_slice(b"\r\n");
}

/// A length header (`*3`, `%2`): formatted on the stack, as every reply
/// has at least one.
fn header(out: &mut Vec<u8>, kind: u8, len: usize) {
    out.push(kind);
    out.extend_from_slice(itoa::Buffer::new().format(len).as_bytes());
    out.extend_from_slice(b"\r\n");
}

fn bulk(out: &mut Vec<u8>, body: &[u8]) {
    header(out, b'$', body.len());
    out.extend_from_slice(body);
    out.extend_from_slice(b"\r\n");
}

fn format_double(d: f64) -> String {
    if d.is_infinite() {
        if d > 0.0 { "inf".into() } else { "-inf".into() }
    } else {
        format!("{d}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn enc(f: &Frame, p: Protocol) -> String {
        String::from_utf8(f.to_bytes(p)).unwrap()
    }

    #[test]
    fn resp2_downgrades_resp3_types() {
        let m = Frame::map([("a", Frame::Integer(1))]);
        assert_eq!(enc(&m, Protocol::Resp2), "*2\r\n$1\r\na\r\n:1\r\n");
        assert_eq!(enc(&m, Protocol::Resp3), "%1\r\n$1\r\na\r\n:1\r\n");
        assert_eq!(enc(&Frame::Null, Protocol::Resp2), "$-1\r\n");
        assert_eq!(enc(&Frame::NullArray, Protocol::Resp2), "*-1\r\n");
        assert_eq!(enc(&Frame::NullArray, Protocol::Resp3), "_\r\n");
        assert_eq!(enc(&Frame::Verbatim("x".into()), Protocol::Resp3), "=5\r\ntxt:x\r\n");
        assert_eq!(enc(&Frame::Verbatim("x".into()), Protocol::Resp2), "$1\r\nx\r\n");
        let push = Frame::Push(vec![Frame::bulk("message")]);
        assert_eq!(enc(&push, Protocol::Resp3), ">1\r\n$7\r\nmessage\r\n");
        assert_eq!(enc(&push, Protocol::Resp2), "*1\r\n$7\r\nmessage\r\n");
    }

    #[test]
    fn status_lines_cannot_inject() {
        assert_eq!(enc(&Frame::error("ERR a\r\n+OK"), Protocol::Resp2), "-ERR a  +OK\r\n");
    }

    #[test]
    fn commands_are_bulk_arrays() {
        let mut out = Vec::new();
        encode_command(&["PING"], &mut out);
        assert_eq!(out, b"*1\r\n$4\r\nPING\r\n");
    }

    /// The constants are what encoding their name gives; an encoded
    /// command decodes back to its arguments, binary ones too.
    #[test]
    fn encoded_commands_round_trip() {
        let constants = [
            (EncodedCommand::PING, "PING"),
            (EncodedCommand::INFO, "INFO"),
            (EncodedCommand::MULTI, "MULTI"),
            (EncodedCommand::EXEC, "EXEC"),
        ];
        for (constant, name) in constants {
            assert_eq!(constant, EncodedCommand::new([name.as_bytes()]), "{name}");
        }
        let args: [&[u8]; 3] = [b"PUBLISH", b"__sentinel__:hello", &[0, 13, 10, 255]];
        let c = EncodedCommand::new(args);
        let mut out = Vec::new();
        encode_command(&args, &mut out);
        assert_eq!(c.as_bytes(), out);
        assert_eq!(c.args(), args.map(Bytes::copy_from_slice));
        assert_eq!(format!("{:?}", EncodedCommand::PING), r#"[b"PING"]"#);
    }
}
