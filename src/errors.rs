//! The error texts clients receive, in one place, whichever layer finds the
//! error: the server ([`crate::server`]), the admin command parser
//! ([`crate::core::AdminCommand`]) or the core's state checks. Clients match
//! on these (ioredis on the AUTH texts, Lettuce on `NOPROTO`/`unknown`,
//! redis's own sentinel tests on `-INPROG`/`-NOGOODSLAVE`), so they are
//! redis-sentinel 7.0's, byte for byte; the few that redis-sentinel 7.0
//! does not have say where they come from.
//!
//! Three families are composed where they are computed, from their parts:
//! the ACL rule errors ([`crate::acl`], `ERR Error in ACL SETUSER modifier
//! ...`), CKQUORUM's answer (`core/quorum.rs`, OK or NOQUORUM with reasons)
//! and the protocol errors of the RESP decoder ([`crate::resp`]).

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
/// A command whose change could not be written to the config file.
pub const SAVE_FAILED: &str = "ERR Failed to save config file. Check server logs.";
/// A client command when the actor is gone (this process is stopping).
pub const SHUTTING_DOWN: &str = "ERR sentinel is shutting down";

/// The command (`ACL DRYRUN`'s) has no such name.
pub fn no_such_command(name: &str) -> String {
    format!("ERR Command '{name}' not found")
}
/// `COMMAND GETKEYS`: a sentinel's commands have no keys.
pub const NO_KEY_ARGUMENTS: &str = "ERR The command has no key arguments";
/// `SHUTDOWN ABORT` with no shutdown under way.
pub const NO_SHUTDOWN_IN_PROGRESS: &str = "ERR No shutdown in progress.";

// ----- permissions -------------------------------------------------------

/// A command the user may not run.
pub fn noperm_command(full_name: &str) -> String {
    format!("NOPERM this user has no permissions to run the '{full_name}' command")
}
/// A channel the user may not use.
pub const NOPERM_CHANNEL: &str =
    "NOPERM this user has no permissions to access one of the channels used as arguments";

// ----- HELLO, CLIENT -----------------------------------------------------

/// HELLO with an option it does not know.
pub fn hello_syntax(option: &str) -> String {
    format!("ERR Syntax error in HELLO option '{option}'")
}
/// HELLO without AUTH from a client that must authenticate.
pub const HELLO_NOAUTH: &str = "NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO <proto> AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time";
/// CLIENT SETINFO with a bad value.
pub fn setinfo_bad_value(attr: &str) -> String {
    format!("ERR {attr} cannot contain spaces, newlines or special characters.")
}
/// CLIENT SETINFO with an attribute it does not know.
pub fn unrecognized_option(attr: &str) -> String {
    format!("ERR Unrecognized option '{attr}'")
}
/// A CLIENT subcommand with the wrong number of arguments.
pub fn client_usage(sub: &str) -> String {
    format!("ERR unknown subcommand or wrong number of arguments for '{sub}'. Try CLIENT HELP.")
}
/// CLIENT TRACKING (ours: client-side caching has nothing to track here).
pub const NO_TRACKING: &str = "ERR CLIENT TRACKING is not supported by this sentinel";
/// CLIENT PAUSE with a mode other than WRITE or ALL.
pub const PAUSE_MODE: &str = "ERR CLIENT PAUSE mode must be WRITE or ALL";
/// CLIENT PAUSE with a timeout that is not an integer.
pub const TIMEOUT_NOT_INTEGER: &str = "ERR timeout is not an integer or out of range";
/// CLIENT PAUSE with a negative timeout.
pub const TIMEOUT_NEGATIVE: &str = "ERR timeout is negative";
/// A client type (`normal`, `pubsub`...) that does not exist.
pub fn unknown_client_type(kind: &str) -> String {
    format!("ERR Unknown client type '{kind}'")
}
/// CLIENT LIST ID with an id that is not a positive integer.
pub const INVALID_CLIENT_ID: &str = "ERR Invalid client ID";
/// CLIENT KILL ID with an id that is not a positive integer.
pub const CLIENT_ID_NOT_POSITIVE: &str = "ERR client-id should be greater than 0";

// ----- ACL (the model's own errors are `crate::acl`'s) --------------------

/// ACL LOAD and ACL SAVE: a sentinel has no ACL file.
pub const NO_ACL_FILE: &str = "ERR This Redis instance is not configured to use an ACL file. You may want to specify users via the ACL SETUSER command and then issue a CONFIG REWRITE (assuming you have a Redis configuration file set) in order to store users in the Redis configuration.";
/// ACL CAT of a category that does not exist.
pub fn unknown_category(name: &str) -> String {
    format!("ERR Unknown category '{name}'")
}
/// ACL GENPASS with a bit count out of range.
pub fn genpass_bits(max: i64) -> String {
    format!(
        "ERR ACL GENPASS argument must be the number of bits for the output password, a positive number up to {max}"
    )
}
/// ACL GENPASS when the kernel gives no random bytes.
pub const NO_RANDOM_BYTES: &str = "ERR could not read random bytes";
/// ACL DRYRUN of a user that does not exist.
pub fn no_such_user(name: &str) -> String {
    format!("ERR User '{name}' not found")
}

// ----- SENTINEL MONITOR, in the order redis-sentinel checks --------------

/// A master name with control characters (Redis 8's hardening against
/// config injection; checked first).
pub const MASTER_NAME_CONTROL: &str = "ERR Master name must not contain control characters";
/// A quorum that is not an integer.
pub const INVALID_QUORUM: &str = "ERR Invalid quorum";
/// A port that is not an integer.
pub const INVALID_PORT: &str = "ERR Invalid port";
/// A quorum below 1.
pub const QUORUM_TOO_SMALL: &str = "ERR Quorum must be 1 or greater.";
/// A host that is not an IP address (or does not resolve, with
/// `resolve-hostnames yes`).
pub const INVALID_ADDRESS: &str = "ERR Invalid IP address or hostname specified";
/// A port outside 0-65535.
pub const INVALID_PORT_NUMBER: &str = "ERR Invalid port number.";
/// A master name already monitored.
pub const DUPLICATE_MASTER: &str = "ERR Duplicate master name.";

// ----- SENTINEL FAILOVER -------------------------------------------------

/// A failover of this master is running.
pub const INPROG: &str = "INPROG Failover already in progress";
/// No replica can be promoted.
pub const NOGOODSLAVE: &str = "NOGOODSLAVE No suitable replica to promote";

/// `FAILOVER <name> COORDINATED` (ours) when the master cannot be reached.
pub fn coordinated_unreachable(name: &str) -> String {
    format!(
        "NOGOODMASTER Coordinated failover needs a reachable master; \
         use SENTINEL FAILOVER {name} for a forced one"
    )
}

/// `FAILOVER <name> COORDINATED` (ours) when the master is older than 6.2.
pub fn coordinated_too_old(version: &str) -> String {
    format!("ERR Coordinated failover needs Redis 6.2 or later on the master (it runs {version})")
}

// ----- SENTINEL SET ------------------------------------------------------

/// An option that is not known, or lacks its value.
pub fn set_unknown_option(option: &str) -> String {
    format!("ERR Unknown option or number of arguments for SENTINEL SET '{option}'")
}

/// A value that does not suit its option.
pub fn set_invalid_argument(value: &str, option: &str) -> String {
    format!("ERR Invalid argument '{value}' for SENTINEL SET '{option}'")
}

/// A value with control characters (Redis 8's hardening; the value is not
/// echoed).
pub fn set_control(option: &str) -> String {
    format!("ERR SENTINEL SET '{option}' value must not contain control characters")
}

/// A script path while `deny-scripts-reconfig yes`.
pub const SCRIPTS_RECONFIG_DENIED: &str = "ERR Reconfiguration of scripts path is denied for security reasons. Check the deny-scripts-reconfig configuration directive in your Sentinel configuration";
/// A `notification-script` that is not an executable file.
pub const NOTIFICATION_SCRIPT_UNUSABLE: &str =
    "ERR Notification script seems non existing or non executable";
/// A `client-reconfig-script` that is not an executable file.
pub const RECONFIG_SCRIPT_UNUSABLE: &str =
    "ERR Client reconfiguration script seems non existing or non executable";

// ----- SENTINEL CONFIG ---------------------------------------------------

/// `SENTINEL CONFIG` with neither a GET nor a SET form.
pub const CONFIG_USAGE: &str = "ERR Only SENTINEL CONFIG GET <param> [<param> <param> ...]/ SET <param> <value> [<param> <value> ...] are supported.";

/// An unknown parameter.
pub fn config_invalid_param(param: &str) -> String {
    format!("ERR Invalid argument '{param}' to SENTINEL CONFIG SET")
}

/// A parameter given twice.
pub fn config_duplicate(param: &str) -> String {
    format!("ERR Duplicate argument '{param}' to SENTINEL CONFIG SET")
}

/// A parameter without its value.
pub fn config_missing_value(param: &str) -> String {
    format!("ERR Missing argument '{param}' value")
}

/// A value with control characters (Redis 8's hardening).
pub fn config_control(param: &str) -> String {
    format!("ERR SENTINEL CONFIG SET '{param}' value must not contain control characters")
}

/// A value that does not suit its parameter.
pub fn config_invalid_value(value: &str, param: &str) -> String {
    format!("ERR Invalid value '{value}' to SENTINEL CONFIG SET '{param}'")
}

// ----- SENTINEL DEBUG and SIMULATE-FAILURE -------------------------------

/// An unknown period, or one without its value.
pub fn debug_unknown_option(option: &str) -> String {
    format!("ERR Unknown option or number of arguments for SENTINEL DEBUG '{option}'")
}

/// A period value that is not a positive integer.
pub fn debug_invalid_argument(value: &str, option: &str) -> String {
    format!("ERR Invalid argument '{value}' for SENTINEL DEBUG '{option}'")
}

/// An unknown `SIMULATE-FAILURE` mode.
pub const UNKNOWN_FAILURE_SIMULATION: &str = "ERR Unknown failure simulation specified";

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
