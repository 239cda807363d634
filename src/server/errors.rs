//! Every error text the server sends, in one place: clients match on these
//! (ioredis on the AUTH texts, Lettuce on `NOPROTO`/`unknown`), so they are
//! redis-sentinel 7.0's, byte for byte.

use bytes::Bytes;

use crate::resp::Frame;

/// `-NOAUTH`.
pub const NOAUTH: &str = "NOAUTH Authentication required.";
/// A wrong password or unknown user.
pub const WRONGPASS: &str = "WRONGPASS invalid username-password pair or user is disabled.";
/// AUTH when no password is configured.
pub const AUTH_NO_PASSWORD: &str = "ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?";
/// HELLO with a protocol other than 2 or 3.
pub const NOPROTO: &str = "NOPROTO unsupported protocol version";
/// HELLO with a protocol that is not a number.
pub const PROTO_NOT_INTEGER: &str = "ERR Protocol version is not an integer or out of range";
/// CLIENT SETNAME with a bad name.
pub const BAD_CLIENT_NAME: &str =
    "ERR Client names cannot contain spaces, newlines or special characters.";
/// Sent, whole, to a client refused by protected mode, before closing it
/// (redis 7.0's text, without its final CRLF).
pub const DENIED: &str = "-DENIED Redis is running in protected mode because protected mode is enabled and no password is set for the default user. In this mode connections are only accepted from the loopback interface. If you want to connect from external computers to Redis you may adopt one of the following solutions: 1) Just disable protected mode sending the command 'CONFIG SET protected-mode no' from the loopback interface by connecting to Redis from the same host the server is running, however MAKE SURE Redis is not publicly accessible from internet if you do so. Use CONFIG REWRITE to make this change permanent. 2) Alternatively you can just disable the protected mode by editing the Redis configuration file, and setting the protected mode option to 'no', and then restarting the server. 3) If you started the server manually just for testing, restart it with the '--protected-mode no' option. 4) Setup a an authentication password for the default user. NOTE: You only need to do one of the above things in order for the server to start accepting connections from the outside.";
/// Syntax error.
pub const SYNTAX: &str = "ERR syntax error";
/// An argument that should be an integer.
pub const NOT_AN_INTEGER: &str = "ERR value is not an integer or out of range";
/// PUBLISH to anything but the hello channel.
pub const ONLY_HELLO: &str = "ERR Only HELLO messages are accepted by Sentinel instances.";
/// `SENTINEL` commands that need a master name that is unknown.
pub const NO_SUCH_MASTER: &str = "ERR No such master with that name";
/// CLIENT KILL that matched nobody (old form).
pub const NO_SUCH_CLIENT: &str = "ERR No such client";

fn lossy(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// `ERR unknown command 'x', with args beginning with: 'a' 'b' `.
pub fn unknown_command(args: &[Bytes]) -> Frame {
    let mut listed = String::new();
    for a in args.iter().skip(1) {
        if listed.len() >= 128 {
            break;
        }
        let room = 128 - listed.len();
        let text = lossy(a);
        let cut: String = text.chars().take(room).collect();
        listed.push_str(&format!("'{cut}' "));
    }
    let name: String = lossy(&args[0]).chars().take(128).collect();
    Frame::error(format!("ERR unknown command '{name}', with args beginning with: {listed}"))
}

/// `ERR wrong number of arguments for 'name' command` (`name` may be
/// `container|sub`).
pub fn wrong_arity(full_name: &str) -> Frame {
    Frame::error(format!("ERR wrong number of arguments for '{full_name}' command"))
}

/// `ERR unknown subcommand 'x'. Try CONTAINER HELP.`
pub fn unknown_subcommand(sub: &[u8], container: &str) -> Frame {
    let sub: String = lossy(sub).chars().take(128).collect();
    Frame::error(format!("ERR unknown subcommand '{sub}'. Try {} HELP.", container.to_uppercase()))
}

/// The error for a non-pub/sub command in RESP2 subscribed mode.
pub fn subscribed_context(name: &str) -> Frame {
    Frame::error(format!(
        "ERR Can't execute '{name}': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_command_text_matches_redis() {
        let args: Vec<Bytes> = ["foo", "bar", "baz"].iter().map(|s| Bytes::from(*s)).collect();
        assert_eq!(
            unknown_command(&args),
            Frame::error("ERR unknown command 'foo', with args beginning with: 'bar' 'baz' ")
        );
        let quit = vec![Bytes::from("quit")];
        assert_eq!(
            unknown_command(&quit),
            Frame::error("ERR unknown command 'quit', with args beginning with: ")
        );
    }
}
