//! The RESP codec: frames, an incremental decoder with limits, an encoder.
//!
//! Pure: no sockets. The decoder works on a byte slice and answers
//! "incomplete" when it needs more bytes, so the connection owns buffering
//! (mini-redis's two-phase parsing). Every length is checked against
//! [`Limits`] *before* anything is buffered for it, so a hostile peer cannot
//! make us allocate what it announces.

mod decode;
mod encode;
mod frame;

pub use decode::{Decoded, Limits, ProtocolError, decode_reply, decode_request};
pub use encode::{EncodedCommand, encode_command};
pub use frame::{Frame, Protocol};
