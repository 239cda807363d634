//! The RESP server over loopback with raw bytes, against a real rsentinel
//! process: exact replies, pipelining, inline commands, RESP3, hostile input.

mod common;

use common::{Raw, call, multibulk, start_redis_sentinel, start_sentinel, tempdir};

const SEED: &str =
    "sentinel monitor mymaster 127.0.0.1 6379 2\nsentinel down-after-milliseconds mymaster 60000\n";

#[test]
fn ping_inline_multibulk_and_pipelined() {
    let dir = tempdir();
    let s = start_sentinel(dir.path(), SEED);
    let mut c = Raw::connect(s.port);
    c.expect(b"PING\r\n", b"+PONG\r\n");
    c.expect(b"*1\r\n$4\r\nPING\r\n", b"+PONG\r\n");
    c.expect(b"*2\r\n$4\r\nPING\r\n$5\r\nhello\r\n", b"$5\r\nhello\r\n");
    c.expect(b"PING\r\nPING a\r\n*1\r\n$4\r\nping\r\n", b"+PONG\r\n$1\r\na\r\n+PONG\r\n");
    // A request split across writes is assembled.
    c.send(b"*2\r\n$4\r\nPI");
    c.expect(b"NG\r\n$2\r\nok\r\n", b"$2\r\nok\r\n");
    c.expect(b"QUIT\r\n", b"+OK\r\n");
    assert!(c.is_closed());
}

/// One write of mixed requests (beyond the first read buffer's size, with
/// a command answered by the core between queries answered from the view,
/// Valkey names and mixed case) gets every reply, in order, byte for byte;
/// and the client's record shows the last command of the batch.
#[test]
fn a_pipelined_batch_of_mixed_commands_gets_every_reply_in_order() {
    let dir = tempdir();
    let s = start_sentinel(dir.path(), SEED);
    let mut c = Raw::connect(s.port);
    let addr: &[u8] = b"*2\r\n$9\r\n127.0.0.1\r\n$4\r\n6379\r\n";
    let (mut batch, mut want) = (Vec::new(), Vec::new());
    for i in 0..120 {
        let quorum = (i / 6 % 3 + 1).to_string();
        let (request, reply): (Vec<u8>, &[u8]) = match i % 6 {
            0 => (multibulk(&[b"SENTINEL", b"get-master-addr-by-name", b"mymaster"]), addr),
            1 => (b"PING\r\n".to_vec(), b"+PONG\r\n"),
            2 => (b"sentinel GET-PRIMARY-ADDR-BY-NAME mymaster\r\n".to_vec(), addr),
            3 => (
                multibulk(&[b"SENTINEL", b"SET", b"mymaster", b"quorum", quorum.as_bytes()]),
                b"+OK\r\n",
            ),
            4 => (multibulk(&[b"sentinel", b"get-master-addr-by-name", b"nope"]), b"*-1\r\n"),
            _ => (
                b"nosuch x\r\n".to_vec(),
                b"-ERR unknown command 'nosuch', with args beginning with: 'x' \r\n",
            ),
        };
        batch.extend_from_slice(&request);
        want.extend_from_slice(reply);
    }
    assert!(batch.len() > 4096, "{} bytes", batch.len());
    c.expect(&batch, &want);
    // The batch's last known command (an unknown one is not recorded).
    let list = Raw::connect(s.port).ask(b"CLIENT LIST\r\n");
    let line = list
        .lines()
        .find(|l| l.contains(" addr=") && !l.contains("cmd=client|list"))
        .expect("the batch's client");
    assert!(line.contains(" cmd=sentinel|get-master-addr-by-name "), "{list}");
    let master = c.ask(b"SENTINEL MASTER mymaster\r\n");
    assert!(master.contains("quorum\r\n$1\r\n2\r\n"), "{master}");
}

/// A peer's vote requests come pipelined, one per master, and are handed
/// to the core together (their replies are deferred, `cmd::defers`): every
/// reply still comes in its place, and a command after them sees what they
/// did (a SET after votes, then MASTER showing it; PINGs in between).
#[test]
fn pipelined_vote_requests_are_answered_in_order() {
    let dir = tempdir();
    let s = start_sentinel(dir.path(), SEED);
    let mut c = Raw::connect(s.port);
    let candidate = "a".repeat(40);
    let (mut batch, mut want) = (Vec::new(), Vec::new());
    for epoch in 1..=60u32 {
        let e = epoch.to_string();
        let ask = [b"SENTINEL".as_slice(), b"is-master-down-by-addr", b"127.0.0.1", b"6379"];
        batch.extend_from_slice(&multibulk(
            &[&ask[..], &[e.as_bytes(), candidate.as_bytes()]].concat(),
        ));
        want.extend_from_slice(
            format!("*3\r\n:0\r\n$40\r\n{candidate}\r\n:{epoch}\r\n").as_bytes(),
        );
        match epoch % 20 {
            7 => {
                batch.extend_from_slice(b"PING\r\n");
                want.extend_from_slice(b"+PONG\r\n");
            }
            13 => {
                let quorum = (epoch / 20 + 1).to_string();
                let set =
                    [b"SENTINEL".as_slice(), b"SET", b"mymaster", b"quorum", quorum.as_bytes()];
                batch.extend_from_slice(&multibulk(&set));
                want.extend_from_slice(b"+OK\r\n");
            }
            _ => {}
        }
    }
    // A vote request refused at once (a port that is no number) between
    // deferred ones keeps its place.
    for (port, reply) in [
        (b"6379".as_slice(), format!("*3\r\n:0\r\n$40\r\n{candidate}\r\n:60\r\n")),
        (b"notaport".as_slice(), "-ERR value is not an integer or out of range\r\n".to_owned()),
    ] {
        let ask =
            [b"SENTINEL".as_slice(), b"is-master-down-by-addr", b"127.0.0.1", port, b"2", b"y"];
        batch.extend_from_slice(&multibulk(&ask));
        want.extend_from_slice(reply.as_bytes());
    }
    // Older epochs after the batch: the last vote stands.
    let old =
        [b"SENTINEL".as_slice(), b"is-master-down-by-addr", b"127.0.0.1", b"6379", b"3", b"x"];
    batch.extend_from_slice(&multibulk(&old));
    want.extend_from_slice(format!("*3\r\n:0\r\n$40\r\n{candidate}\r\n:60\r\n").as_bytes());
    c.expect(&batch, &want);
    let master = c.ask(b"SENTINEL MASTER mymaster\r\n");
    assert!(master.contains("quorum\r\n$1\r\n3\r\n"), "{master}");
    let conf = std::fs::read_to_string(dir.path().join("sentinel.conf")).expect("config");
    assert!(conf.contains("sentinel current-epoch 60"), "{conf}");
    assert!(conf.contains("sentinel leader-epoch mymaster 60"), "{conf}");
}

#[test]
fn sentinel_queries_from_the_config() {
    let dir = tempdir();
    let s = start_sentinel(dir.path(), SEED);
    let mut c = Raw::connect(s.port);
    c.expect(
        b"SENTINEL get-master-addr-by-name mymaster\r\n",
        b"*2\r\n$9\r\n127.0.0.1\r\n$4\r\n6379\r\n",
    );
    c.expect(b"SENTINEL get-master-addr-by-name nope\r\n", b"*-1\r\n");
    c.expect(b"ROLE\r\n", b"*2\r\n$8\r\nsentinel\r\n*1\r\n$8\r\nmymaster\r\n");
    c.expect(b"SENTINEL MASTER nope\r\n", b"-ERR No such master with that name\r\n");
    c.expect(b"COMMAND COUNT\r\n", b":15\r\n");
    let id = c.ask(b"SENTINEL MYID\r\n");
    assert_eq!(id.len(), 47, "a 40-char bulk: {id:?}");
    let reply = c.ask(b"SENTINEL MASTER mymaster\r\n");
    assert!(reply.starts_with("*"), "{reply}");
    for field in [
        "name\r\n$8\r\nmymaster",
        "quorum\r\n$1\r\n2",
        "down-after-milliseconds\r\n$5\r\n60000",
        "num-other-sentinels",
    ] {
        assert!(reply.contains(field), "missing {field} in {reply}");
    }
    let info = c.ask(b"INFO sentinel\r\n");
    assert!(
        info.contains(
            "master0:name=mymaster,status=ok,address=127.0.0.1:6379,slaves=0,sentinels=1"
        ),
        "{info}"
    );
    let info = c.ask(b"INFO\r\n");
    assert!(
        info.contains("redis_mode:sentinel")
            && info.contains("# Clients")
            && info.contains("# CPU"),
        "{info}"
    );
}

#[test]
fn redis_error_texts() {
    let dir = tempdir();
    let s = start_sentinel(dir.path(), SEED);
    let mut c = Raw::connect(s.port);
    c.expect(
        b"foo bar baz\r\n",
        b"-ERR unknown command 'foo', with args beginning with: 'bar' 'baz' \r\n",
    );
    c.expect(b"SENTINEL\r\n", b"-ERR wrong number of arguments for 'sentinel' command\r\n");
    c.expect(b"SENTINEL foo\r\n", b"-ERR unknown subcommand 'foo'. Try SENTINEL HELP.\r\n");
    c.expect(
        b"SENTINEL masters x\r\n",
        b"-ERR wrong number of arguments for 'sentinel|masters' command\r\n",
    );
    c.expect(b"ping a b\r\n", b"-ERR wrong number of arguments for 'ping' command\r\n");
    c.expect(b"HELLO 4\r\n", b"-NOPROTO unsupported protocol version\r\n");
    c.expect(
        b"AUTH x\r\n",
        b"-ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?\r\n",
    );
    c.expect(
        b"AUTH a b\r\n",
        b"-WRONGPASS invalid username-password pair or user is disabled.\r\n",
    );
    c.expect(
        b"CLIENT SETNAME \"a b\"\r\n",
        b"-ERR Client names cannot contain spaces, newlines or special characters.\r\n",
    );
    c.expect(
        b"PUBLISH x y\r\n",
        b"-ERR Only HELLO messages are accepted by Sentinel instances.\r\n",
    );
    c.expect(
        b"CONFIG GET port\r\n",
        b"-ERR unknown command 'CONFIG', with args beginning with: 'GET' 'port' \r\n",
    );
}

#[test]
fn requirepass_gates_everything_but_auth_and_hello() {
    let dir = tempdir();
    let s = start_sentinel(dir.path(), &format!("requirepass \"s3 cr\\\"et\"\n{SEED}"));
    let mut c = Raw::connect(s.port);
    c.expect(b"PING\r\n", b"-NOAUTH Authentication required.\r\n");
    // Unknown commands are reported before the auth check, as in redis.
    c.expect(b"nope\r\n", b"-ERR unknown command 'nope', with args beginning with: \r\n");
    c.expect(
        b"AUTH wrong\r\n",
        b"-WRONGPASS invalid username-password pair or user is disabled.\r\n",
    );
    c.expect(b"AUTH \"s3 cr\\\"et\"\r\n", b"+OK\r\n");
    c.expect(b"PING\r\n", b"+PONG\r\n");
    let mut h = Raw::connect(s.port);
    let reply = h.ask(b"HELLO 3 AUTH default \"s3 cr\\\"et\" SETNAME app\r\n");
    assert!(reply.starts_with("%6\r\n$6\r\nserver\r\n$5\r\nredis\r\n"), "{reply}");
    assert!(reply.contains("$4\r\nmode\r\n$8\r\nsentinel\r\n"), "{reply}");
    h.expect(b"CLIENT GETNAME\r\n", b"$3\r\napp\r\n");
}

#[test]
fn resp3_after_hello_3() {
    let dir = tempdir();
    let s = start_sentinel(dir.path(), SEED);
    let mut c = Raw::connect(s.port);
    let hello = c.reply_to(b"HELLO 3\r\n");
    assert!(hello.starts_with(b"%6\r\n"), "{}", String::from_utf8_lossy(&hello));
    c.expect(b"SENTINEL get-master-addr-by-name nope\r\n", b"_\r\n");
    let m = c.reply_to(b"SENTINEL MASTER mymaster\r\n");
    assert!(m.starts_with(b"%"), "a RESP3 map: {}", String::from_utf8_lossy(&m));
    c.expect(b"SUBSCRIBE a\r\n", b">3\r\n$9\r\nsubscribe\r\n$1\r\na\r\n:1\r\n");
    // RESP3 clients may run any command while subscribed.
    c.expect(b"PING\r\n", b"+PONG\r\n");
}

#[test]
fn pubsub_context_in_resp2() {
    let dir = tempdir();
    let s = start_sentinel(dir.path(), SEED);
    let mut c = Raw::connect(s.port);
    c.expect(b"SUBSCRIBE x\r\n", b"*3\r\n$9\r\nsubscribe\r\n$1\r\nx\r\n:1\r\n");
    c.expect(
        b"INFO\r\n",
        b"-ERR Can't execute 'info': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context\r\n",
    );
    c.expect(b"PING\r\n", b"*2\r\n$4\r\npong\r\n$0\r\n\r\n");
    c.expect(b"PSUBSCRIBE *\r\n", b"*3\r\n$10\r\npsubscribe\r\n$1\r\n*\r\n:2\r\n");
    c.expect(b"UNSUBSCRIBE\r\n", b"*3\r\n$11\r\nunsubscribe\r\n$1\r\nx\r\n:1\r\n");
    c.expect(b"PUNSUBSCRIBE\r\n", b"*3\r\n$12\r\npunsubscribe\r\n$1\r\n*\r\n:0\r\n");
    c.expect(b"UNSUBSCRIBE\r\n", b"*3\r\n$11\r\nunsubscribe\r\n$-1\r\n:0\r\n");
    c.expect(b"PING\r\n", b"+PONG\r\n");
}

fn assert_alive(port: u16) {
    let mut c = Raw::connect(port);
    c.expect(b"PING\r\n", b"+PONG\r\n");
}

#[test]
fn hostile_input_never_kills_the_daemon() {
    let dir = tempdir();
    let s = start_sentinel(dir.path(), SEED);
    let cases: &[(&[u8], &[u8])] = &[
        (b"*1\r\n$99999999999\r\n", b"-ERR Protocol error: invalid bulk length\r\n"),
        (b"*99999999999\r\n", b"-ERR Protocol error: invalid multibulk length\r\n"),
        (b"GET \"abc\r\n", b"-ERR Protocol error: unbalanced quotes in request\r\n"),
        (b"*1\r\n:1\r\n", b"-ERR Protocol error: expected '$', got ':'\r\n"),
    ];
    for (input, reply) in cases {
        let mut c = Raw::connect(s.port);
        c.expect(input, reply);
        assert!(c.is_closed(), "connection closed after {:?}", String::from_utf8_lossy(input));
    }
    // 1 MiB without a newline: refused once past the inline limit.
    let mut c = Raw::connect(s.port);
    let _ = std::io::Write::write_all(&mut c.stream, &vec![b'a'; 1024 * 1024]);
    let got = c.read_until(b"-ERR Protocol error: too big inline request\r\n");
    assert_eq!(got, b"-ERR Protocol error: too big inline request\r\n");
    // 200 KB of pseudo-random bytes.
    let mut x: u64 = 0x1234_5678;
    let junk: Vec<u8> = (0..200_000)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect();
    let mut c = Raw::connect(s.port);
    let _ = std::io::Write::write_all(&mut c.stream, &junk);
    let _ = c.is_closed();
    assert_alive(s.port);
}

#[test]
fn a_thousand_idle_connections() {
    let dir = tempdir();
    let s = start_sentinel(dir.path(), SEED);
    let idle: Vec<_> = (0..1000)
        .map(|_| std::net::TcpStream::connect(("127.0.0.1", s.port)).expect("connect"))
        .collect();
    assert_alive(s.port);
    // The kernel completes connections before the server accepts them:
    // wait until all of them are registered.
    let mut c = Raw::connect(s.port);
    common::wait_for(10, "1000+ clients counted by INFO", || {
        c.ask(b"INFO clients\r\n").contains("connected_clients:10")
    });
    drop(idle);
}

#[test]
fn client_commands() {
    let dir = tempdir();
    let s = start_sentinel(dir.path(), SEED);
    let mut c = Raw::connect(s.port);
    c.expect(b"CLIENT SETNAME me\r\n", b"+OK\r\n");
    c.expect(b"CLIENT GETNAME\r\n", b"$2\r\nme\r\n");
    c.expect(b"CLIENT SETINFO lib-name redis-py\r\n", b"+OK\r\n");
    let info = c.ask(b"CLIENT INFO\r\n");
    assert!(info.contains("name=me") && info.contains("lib-name=redis-py"), "{info}");
    let mut victim = Raw::connect(s.port);
    victim.expect(b"SUBSCRIBE x\r\n", b"*3\r\n$9\r\nsubscribe\r\n$1\r\nx\r\n:1\r\n");
    c.expect(b"CLIENT KILL TYPE pubsub\r\n", b":1\r\n");
    assert!(victim.is_closed());
}

#[test]
fn maxclients_refuses_the_extra_client() {
    let dir = tempdir();
    let s = start_sentinel(dir.path(), &format!("maxclients 2\n{SEED}"));
    // The readiness probe's connection must be gone before counting.
    std::thread::sleep(std::time::Duration::from_millis(300));
    let mut a = Raw::connect(s.port);
    let mut b = Raw::connect(s.port);
    a.expect(b"PING\r\n", b"+PONG\r\n");
    b.expect(b"PING\r\n", b"+PONG\r\n");
    let mut c = Raw::connect(s.port);
    c.expect(b"PING\r\n", b"-ERR max number of clients reached\r\n");
    drop(a);
    std::thread::sleep(std::time::Duration::from_millis(200));
    let mut d = Raw::connect(s.port);
    d.expect(b"PING\r\n", b"+PONG\r\n");
}

#[test]
fn idle_clients_are_closed_after_timeout() {
    let dir = tempdir();
    let s = start_sentinel(dir.path(), &format!("timeout 1\n{SEED}"));
    let mut idle = Raw::connect(s.port);
    idle.expect(b"PING\r\n", b"+PONG\r\n");
    let mut sub = Raw::connect(s.port);
    sub.expect(b"SUBSCRIBE x\r\n", b"*3\r\n$9\r\nsubscribe\r\n$1\r\nx\r\n:1\r\n");
    assert!(idle.is_closed(), "an idle client is closed after `timeout`");
    sub.expect(b"PING\r\n", b"*2\r\n$4\r\npong\r\n$0\r\n\r\n");
}

/// `COMMAND LIST` names exactly what redis-sentinel 7.0.15 names (tools and
/// Redis's own sentinel tests compare it), although rsentinel also accepts
/// the 7.2 `CLIENT SETINFO`.
#[test]
fn command_list_and_debug_replies_are_redis_sentinel_7_0s() {
    let (ours_dir, theirs_dir) = (tempdir(), tempdir());
    let ours = start_sentinel(ours_dir.path(), SEED);
    let theirs = start_redis_sentinel(theirs_dir.path(), SEED);
    let names = |port: u16| -> Vec<String> {
        let rsentinel::resp::Frame::Array(items) = call(port, &["COMMAND", "LIST"]) else {
            panic!("COMMAND LIST is not an array");
        };
        let mut v: Vec<String> =
            items.iter().map(|f| f.as_str().unwrap_or("").to_ascii_lowercase()).collect();
        v.sort();
        v
    };
    let (a, b) = (names(ours.port), names(theirs.port));
    assert_eq!(a.len(), 72, "{a:?}");
    assert_eq!(a, b);
    // Byte for byte, as redis-sentinel 7.0.15 answers.
    for request in [
        &b"SENTINEL DEBUG\r\n"[..],
        b"SENTINEL FAILOVER mymaster extra\r\n",
        b"SENTINEL FAILOVER mymaster extra more\r\n",
    ] {
        let mut ours_c = Raw::connect(ours.port);
        let mut theirs_c = Raw::connect(theirs.port);
        assert_eq!(
            String::from_utf8_lossy(&ours_c.reply_to(request)),
            String::from_utf8_lossy(&theirs_c.reply_to(request)),
            "{}",
            String::from_utf8_lossy(request)
        );
    }
    let mut c = Raw::connect(ours.port);
    c.expect(b"CLIENT SETINFO lib-ver 1.0\r\n", b"+OK\r\n");
}

/// A client sees its own writes: `SENTINEL MASTER` right after the reply
/// to `SENTINEL SET` shows the new value (upstream 03-runtime-reconf).
#[test]
fn sentinel_master_shows_what_set_just_set() {
    let dir = tempdir();
    let s = start_sentinel(dir.path(), SEED);
    let mut c = Raw::connect(s.port);
    for i in 0..300 {
        let ms = 60_000 + i;
        let set = format!("SENTINEL SET mymaster down-after-milliseconds {ms}\r\n");
        c.expect(set.as_bytes(), b"+OK\r\n");
        let reply = c.ask(b"SENTINEL MASTER mymaster\r\n");
        let want = format!("down-after-milliseconds\r\n${}\r\n{ms}\r\n", ms.to_string().len());
        assert!(reply.contains(&want), "after SET {ms}: {reply}");
    }
}

/// Script paths given to `SENTINEL SET` must name executable files, with
/// redis-sentinel's errors; nothing is applied when one is refused.
#[test]
fn sentinel_set_checks_script_paths() {
    let dir = tempdir();
    let s = start_sentinel(dir.path(), &format!("{SEED}sentinel deny-scripts-reconfig no\n"));
    let mut c = Raw::connect(s.port);
    c.expect(
        b"SENTINEL SET mymaster quorum 3 notification-script /nonexistent/script.sh\r\n",
        b"-ERR Notification script seems non existing or non executable\r\n",
    );
    let plain = dir.path().join("plain.sh");
    std::fs::write(&plain, "#!/bin/sh\n").unwrap();
    let set = format!("SENTINEL SET mymaster client-reconfig-script {}\r\n", plain.display());
    c.expect(
        set.as_bytes(),
        b"-ERR Client reconfiguration script seems non existing or non executable\r\n",
    );
    let reply = c.ask(b"SENTINEL MASTER mymaster\r\n");
    assert!(reply.contains("quorum\r\n$1\r\n2\r\n"), "quorum unchanged: {reply}");
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&plain, std::fs::Permissions::from_mode(0o755)).unwrap();
    let set = format!("SENTINEL SET mymaster notification-script {}\r\n", plain.display());
    c.expect(set.as_bytes(), b"+OK\r\n");
    c.expect(b"SENTINEL SET mymaster notification-script \"\"\r\n", b"+OK\r\n");
}

/// Valkey 8's names answer as the old ones (and stay out of `COMMAND`).
#[test]
fn valkey_primary_names() {
    let dir = tempdir();
    let s = start_sentinel(dir.path(), SEED);
    let mut c = Raw::connect(s.port);
    for (new, old) in [
        ("SENTINEL GET-PRIMARY-ADDR-BY-NAME mymaster", "SENTINEL GET-MASTER-ADDR-BY-NAME mymaster"),
        ("SENTINEL PRIMARIES", "SENTINEL MASTERS"),
        ("SENTINEL primary mymaster", "SENTINEL MASTER mymaster"),
        ("SENTINEL PRIMARY nope", "SENTINEL MASTER nope"),
        (
            "SENTINEL IS-PRIMARY-DOWN-BY-ADDR 127.0.0.1 6379 0 *",
            "SENTINEL IS-MASTER-DOWN-BY-ADDR 127.0.0.1 6379 0 *",
        ),
    ] {
        let strip_times = |r: String| -> Vec<String> {
            // Millisecond counters (and their lengths) may tick between the
            // two replies: compare everything else.
            r.split("\r\n")
                .filter(|l| !l.starts_with('$') && !l.chars().all(|c| c.is_ascii_digit()))
                .map(str::to_owned)
                .collect()
        };
        let a = c.ask(format!("{new}\r\n").as_bytes());
        let b = c.ask(format!("{old}\r\n").as_bytes());
        assert!(!a.starts_with("-ERR unknown"), "{new}: {a}");
        assert_eq!(strip_times(a.clone()), strip_times(b.clone()), "{new}: {a} vs {b}");
    }
    c.expect(
        b"SENTINEL PRIMARY\r\n",
        b"-ERR wrong number of arguments for 'sentinel|primary' command\r\n",
    );
}

/// `INFO sentinel` has Redis 8's `sentinel_total_tilt` where Redis 8 puts it.
#[test]
fn info_sentinel_total_tilt() {
    let dir = tempdir();
    let s = start_sentinel(dir.path(), SEED);
    let mut c = Raw::connect(s.port);
    let info = c.ask(b"INFO sentinel\r\n");
    assert!(
        info.contains("sentinel_tilt_since_seconds:-1\r\nsentinel_total_tilt:0\r\nsentinel_running_scripts:0\r\n"),
        "{info}"
    );
}

/// Redis 7.2's `SENTINEL CONFIG SET loglevel` changes the running level at
/// once and is persisted; several pairs apply together or not at all.
#[test]
fn config_set_loglevel_changes_the_running_level() {
    let dir = tempdir();
    let s = start_sentinel(dir.path(), SEED);
    let mut c = Raw::connect(s.port);
    let saved = "Sentinel new configuration saved on disk";
    let log = || std::fs::read_to_string(dir.path().join("stdout.log")).unwrap();
    c.expect(b"SENTINEL CONFIG SET announce-port 1\r\n", b"+OK\r\n");
    assert!(!log().contains(saved), "a verbose line at notice: {}", log());
    c.expect(
        b"SENTINEL CONFIG SET announce-port 2 loglevel loud\r\n",
        b"-ERR Invalid value 'loud' to SENTINEL CONFIG SET 'loglevel'\r\n",
    );
    c.expect(b"SENTINEL CONFIG SET loglevel verbose announce-port 3\r\n", b"+OK\r\n");
    assert!(log().contains(saved), "no verbose line at verbose: {}", log());
    let conf = std::fs::read_to_string(dir.path().join("sentinel.conf")).unwrap();
    assert!(conf.contains("\nloglevel verbose\n"), "{conf}");
    assert!(conf.contains("\nsentinel announce-port 3\n"), "{conf}");
    c.expect(
        b"SENTINEL CONFIG GET loglevel announce-*\r\n",
        b"*8\r\n$8\r\nloglevel\r\n$7\r\nverbose\r\n$18\r\nannounce-hostnames\r\n$2\r\nno\r\n\
$11\r\nannounce-ip\r\n$0\r\n\r\n$13\r\nannounce-port\r\n$1\r\n3\r\n",
    );
}

/// Redis 8's hardening: control characters are refused in names and paths,
/// and a password holding a newline cannot inject a config line.
#[test]
fn control_characters_cannot_inject_config_lines() {
    let dir = tempdir();
    let s = start_sentinel(dir.path(), &format!("{SEED}sentinel deny-scripts-reconfig no\n"));
    let mut c = Raw::connect(s.port);
    let evil: &[u8] = b"x\nsentinel notification-script mymaster /tmp/evil.sh";
    c.expect(
        &multibulk(&[b"SENTINEL", b"SET", b"mymaster", b"notification-script", evil]),
        b"-ERR SENTINEL SET 'notification-script' value must not contain control characters\r\n",
    );
    c.expect(
        &multibulk(&[b"SENTINEL", b"MONITOR", b"a\r\nb", b"127.0.0.1", b"6379", b"2"]),
        b"-ERR Master name must not contain control characters\r\n",
    );
    c.expect(&multibulk(&[b"SENTINEL", b"SET", b"mymaster", b"auth-pass", evil]), b"+OK\r\n");
    c.expect(&multibulk(&[b"SENTINEL", b"CONFIG", b"SET", b"sentinel-pass", evil]), b"+OK\r\n");
    let conf = std::fs::read_to_string(dir.path().join("sentinel.conf")).unwrap();
    assert!(!conf.lines().any(|l| l.starts_with("sentinel notification-script")), "{conf}");
    assert!(
        conf.contains(
            "sentinel auth-pass mymaster \"x\\nsentinel notification-script mymaster /tmp/evil.sh\""
        ),
        "{conf}"
    );
}

/// `CLIENT PAUSE` holds client commands as redis-sentinel 7.0 does: `ALL`
/// every command (from any connection), `WRITE` only `PUBLISH`; `CLIENT
/// UNPAUSE` ends a pause at once.
#[test]
fn client_pause_holds_commands() {
    use std::time::{Duration, Instant};
    let dir = tempdir();
    let s = start_sentinel(dir.path(), SEED);
    let mut c = Raw::connect(s.port);
    c.expect(b"CLIENT PAUSE 100 FOO\r\n", b"-ERR CLIENT PAUSE mode must be WRITE or ALL\r\n");
    c.expect(b"CLIENT PAUSE abc\r\n", b"-ERR timeout is not an integer or out of range\r\n");
    c.expect(b"CLIENT PAUSE -1\r\n", b"-ERR timeout is negative\r\n");
    // WRITE: reads pass at once, PUBLISH waits for the end.
    let start = Instant::now();
    c.expect(b"CLIENT PAUSE 3000 WRITE\r\n", b"+OK\r\n");
    Raw::connect(s.port).expect(b"PING\r\n", b"+PONG\r\n");
    assert!(start.elapsed() < Duration::from_millis(2500), "{:?}", start.elapsed());
    let reply = Raw::connect(s.port).ask(b"PUBLISH x y\r\n");
    assert!(start.elapsed() >= Duration::from_millis(3000), "{:?}", start.elapsed());
    assert!(reply.starts_with("-ERR Only HELLO messages"), "{reply}");
    // ALL: every command waits, the pausing connection's too.
    let start = Instant::now();
    c.expect(b"CLIENT PAUSE 700\r\n", b"+OK\r\n");
    let id = Raw::connect(s.port).ask(b"SENTINEL MYID\r\n");
    assert!(start.elapsed() >= Duration::from_millis(700), "{:?}", start.elapsed());
    assert!(id.starts_with("$40"), "{id}");
    c.expect(b"PING\r\n", b"+PONG\r\n");
    // UNPAUSE (not a write) releases a PUBLISH held by a long WRITE pause.
    let start = Instant::now();
    c.expect(b"CLIENT PAUSE 60000 WRITE\r\n", b"+OK\r\n");
    let mut held = Raw::connect(s.port);
    held.send(b"PUBLISH x y\r\n");
    c.expect(b"CLIENT UNPAUSE\r\n", b"+OK\r\n");
    let reply = String::from_utf8_lossy(&held.reply()).into_owned();
    assert!(reply.starts_with("-ERR Only HELLO messages"), "{reply}");
    assert!(start.elapsed() < Duration::from_secs(30), "{:?}", start.elapsed());
}
