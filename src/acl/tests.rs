//! Rules, descriptions and checks, against what redis-sentinel 7.0.15
//! answers to the same `ACL SETUSER` / `ACL LIST` (recorded by hand).

use super::*;

fn rules(s: &str) -> Vec<String> {
    s.split(' ').map(str::to_string).collect()
}

fn list(acl: &Acl, name: &str) -> String {
    acl.user(name).unwrap().describe()
}

#[test]
fn descriptions_match_redis_sentinel() {
    let mut acl = Acl::default();
    assert_eq!(list(&acl, "default"), "on nopass ~* &* +@all");
    acl.set_user("testuser", &rules(">secret +@all on")).unwrap();
    assert_eq!(
        list(&acl, "testuser"),
        "on #2bb80d537b1da3e38bd30361aa855686bde0eacd7162fef6a25fe97bf527a25b resetchannels +@all"
    );
    acl.set_user(
        "u2",
        &rules("on #5e884898da28047151d0e56f8dc6292773603d0d6aabbdd62a11ef721d1542d8 ~foo* &bar -@all +ping +sentinel|masters resetpass"),
    )
    .unwrap();
    // redis lists the two single commands in its hash order
    // (`+sentinel|masters +ping`); ours is the table's.
    assert_eq!(list(&acl, "u2"), "on ~foo* resetchannels &bar -@all +ping +sentinel|masters");
    assert_eq!(acl.users().map(User::name).collect::<Vec<_>>(), ["default", "testuser", "u2"]);
}

#[test]
fn errors_are_redis_texts() {
    let mut acl = Acl::default();
    let err = |acl: &mut Acl, r: &str| acl.set_user("u3", &rules(r)).unwrap_err();
    assert_eq!(err(&mut acl, "bogus"), "ERR Error in ACL SETUSER modifier 'bogus': Syntax error");
    assert_eq!(
        err(&mut acl, "+nosuch"),
        "ERR Error in ACL SETUSER modifier '+nosuch': Unknown command or category name in ACL"
    );
    assert_eq!(
        err(&mut acl, "+@nosuch"),
        "ERR Error in ACL SETUSER modifier '+@nosuch': Unknown command or category name in ACL"
    );
    // Found by fuzzing: a rule starting with a multi-byte character used
    // to panic (a client's `ACL SETUSER u é` aborted the process).
    assert_eq!(err(&mut acl, "é"), "ERR Error in ACL SETUSER modifier 'é': Syntax error");
    assert_eq!(
        err(&mut acl, "\u{fffd}*"),
        "ERR Error in ACL SETUSER modifier '\u{fffd}*': Syntax error"
    );
    assert!(err(&mut acl, "~* ~a").contains("Try 'resetkeys'"));
    assert!(err(&mut acl, "&* &a").contains("Try 'resetchannels'"));
    assert!(err(&mut acl, "<nope").ends_with("does not exist"));
    assert!(err(&mut acl, "#ABC").ends_with("lowercase hexadecimal characters"));
    assert!(
        err(&mut acl, "+sentinel|masters|x")
            .ends_with("first-arg of a subcommand is not supported")
    );
    assert_eq!(
        err(&mut acl, "on (+ping"),
        "ERR Unmatched parenthesis in acl selector starting at '(+ping'."
    );
    // Nothing of a refused SETUSER is applied.
    assert!(acl.user("u3").is_none());
    assert_eq!(
        acl.del_users(&rules("default")).unwrap_err(),
        "ERR The 'default' user cannot be removed"
    );
    assert_eq!(
        acl.set_user("a b", &[]).unwrap_err(),
        "ERR Usernames can't contain spaces or null characters"
    );
}

#[test]
fn all_or_nothing() {
    let mut acl = Acl::default();
    acl.set_user("u", &rules("on >a")).unwrap();
    let before = acl.clone();
    assert!(acl.set_user("u", &rules("off >b bogus")).is_err());
    assert_eq!(acl, before);
}

#[test]
fn passwords_and_flags() {
    let mut acl = Acl::new(Some("pw"));
    assert!(!acl.open());
    assert!(acl.authenticate(b"default", b"pw"));
    assert!(!acl.authenticate(b"default", b"nope"));
    acl.set_user("u", &rules(">x >y")).unwrap();
    assert!(!acl.authenticate(b"u", b"x"), "a new user is off");
    acl.set_user("u", &rules("on <x")).unwrap();
    assert!(!acl.authenticate(b"u", b"x") && acl.authenticate(b"u", b"y"));
    acl.set_user("u", &rules("nopass")).unwrap();
    assert!(acl.authenticate(b"u", b"anything"));
    acl.set_user("u", &rules("resetpass")).unwrap();
    assert!(!acl.authenticate(b"u", b"anything"));
    assert!(!acl.authenticate(b"nobody", b""));
    acl.set_user("default", &rules("nopass")).unwrap();
    assert!(acl.open());
    acl.set_user("default", &rules("off")).unwrap();
    assert!(!acl.open());
    acl.set_user("u", &rules("reset")).unwrap();
    assert_eq!(list(&acl, "u"), "off sanitize-payload resetchannels -@all");
}

#[test]
fn command_permissions() {
    let mut acl = Acl::default();
    let id = |n: &str| find(n).unwrap();
    acl.set_user("u", &rules("on nopass -@all +@connection +sentinel|get-master-addr-by-name"))
        .unwrap();
    let u = acl.user("u").unwrap();
    assert_eq!(u.check(id("ping"), None, &[]), Ok(()));
    assert_eq!(u.check(id("client|kill"), None, &[]), Ok(()));
    assert_eq!(u.check(id("sentinel|get-master-addr-by-name"), None, &[]), Ok(()));
    // The Valkey name is the same command.
    assert_eq!(u.check(id("sentinel|get-primary-addr-by-name"), None, &[]), Ok(()));
    assert_eq!(u.check(id("sentinel|failover"), None, &[]), Err(Denied::Command));
    assert_eq!(u.check(id("info"), None, &[]), Err(Denied::Command));
    assert_eq!(
        list(&acl, "u"),
        "on nopass resetchannels -@all +@connection +sentinel|get-master-addr-by-name"
    );

    // +@all then a removal keeps "future commands" and denies the one.
    acl.set_user("v", &rules("on +@all -sentinel|failover -@dangerous +info")).unwrap();
    let v = acl.user("v").unwrap();
    assert_eq!(v.check(id("ping"), None, &[]), Ok(()));
    assert_eq!(v.check(id("info"), None, &[]), Ok(()));
    assert_eq!(v.check(id("sentinel|failover"), None, &[]), Err(Denied::Command));
    assert_eq!(v.check(id("sentinel|set"), None, &[]), Err(Denied::Command));
    assert_eq!(list(&acl, "v"), "on resetchannels +@all -@admin");

    // A first argument of a command without subcommands.
    acl.set_user("w", &rules("on -@all +info|server")).unwrap();
    let w = acl.user("w").unwrap();
    assert_eq!(w.check(id("info"), Some(b"SERVER"), &[]), Ok(()));
    assert_eq!(w.check(id("info"), Some(b"clients"), &[]), Err(Denied::Command));
    assert_eq!(w.check(id("info"), None, &[]), Err(Denied::Command));
    assert_eq!(list(&acl, "w"), "off resetchannels -@all +info|server".replace("off", "on"));
}

#[test]
fn channels_and_selectors() {
    let mut acl = Acl::default();
    let id = |n: &str| find(n).unwrap();
    acl.set_user("u", &rules("on +@all &+switch* (+ping &x)")).unwrap();
    let u = acl.user("u").unwrap();
    assert_eq!(u.check(id("subscribe"), None, &[(1, b"+switch-master", false)]), Ok(()));
    assert_eq!(
        u.check(id("subscribe"), None, &[(1, b"+switch-master", false), (2, b"+sdown", false)]),
        Err(Denied::Channel(2))
    );
    // A pattern matches only literally.
    assert_eq!(
        u.check(id("psubscribe"), None, &[(1, b"+switch-m*", true)]),
        Err(Denied::Channel(1))
    );
    assert_eq!(u.check(id("psubscribe"), None, &[(1, b"+switch*", true)]), Ok(()));
    assert_eq!(list(&acl, "u"), "on resetchannels &+switch* +@all (resetchannels &x -@all +ping)");
    // The description rebuilds the same user, also through a config line.
    let lines = acl.config_lines();
    let loaded = Acl::load(None, &lines).unwrap();
    assert_eq!(loaded.user("u"), acl.user("u"));
}

#[test]
fn descriptions_round_trip() {
    let cases = [
        "on >a ~* &* +@all",
        "on -@all +@admin -sentinel|failover +client|setname",
        "off +@all -@pubsub -ping +info|server %R~r* %W~w* ~rw",
        "on nopass -@all +acl|whoami +@fast -role",
        "on +@all -client +client|id",
        "skip-sanitize-payload -@all +@slow -@dangerous",
    ];
    for case in cases {
        let mut acl = Acl::default();
        acl.set_user("u", &rules(case)).unwrap();
        let again = Acl::load(None, &acl.config_lines()).unwrap();
        assert_eq!(again.user("u"), acl.user("u"), "{case}: {}", list(&acl, "u"));
    }
}

#[test]
fn config_lines_load_in_order() {
    let lines =
        vec![rules("default on nopass sanitize-payload ~* &* +@all"), rules("app on >p +@all")];
    let acl = Acl::load(Some("ignored-by-the-default-line"), &lines).unwrap();
    assert!(acl.open(), "the user line overrides requirepass, as in redis");
    assert!(acl.authenticate(b"app", b"p"));
    let err = Acl::load(None, &[rules("a on"), rules("a off")]).unwrap_err();
    assert_eq!(err.0, 1);
    assert!(err.1.contains("Duplicate user found"), "{}", err.1);
    let err = Acl::load(None, &[rules("a on +nosuch")]).unwrap_err();
    assert_eq!(
        err,
        (0, "Error in user declaration '+nosuch': Unknown command or category name in ACL".into())
    );
    let locked = Acl::load(None, &[rules("default off")]).unwrap();
    assert!(!locked.open());
    let passworded = Acl::load(None, &[rules("default on >x +@all")]).unwrap();
    assert!(!passworded.open());
}
