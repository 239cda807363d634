//! Fuzzing on stable Rust: every parser that reads bytes from outside is fed
//! its kept corpus, then (with a time budget) mutated and generated inputs,
//! and must neither panic, hang, nor allocate out of proportion to its
//! input.
//!
//! # Why this harness
//!
//! cargo-fuzz (libFuzzer) needs a nightly toolchain, which cannot be
//! installed here. cargo-afl does work on stable here (checked: `cargo
//! install cargo-afl` 0.18.2 took 3 min 39 s, building AFL++ with it; a
//! toy target then built in 40 s and AFL found its planted crash in 6 s,
//! with `AFL_SKIP_CPUFREQ` and `AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES`,
//! since AFL otherwise wants root changes to the CPU governor and
//! `core_pattern`). But CI runs on a clean machine with a one-minute
//! fuzzing budget: the install plus an instrumented build of this crate
//! would cost several times the budget before the first execution, and AFL
//! runs one process per target outside `cargo test`. So this is a
//! coverage-less, in-process fuzzer with no dependency: a seeded mutator
//! (bit flips, byte and token insertion, splices between corpus files,
//! lengths and epochs replaced by boundary numbers) plus a generator of
//! RESP trees, run as an ordinary test target. What it loses against a
//! coverage-guided fuzzer it partly buys back with structure: the
//! mutations know RESP's lengths and the config's quoting, and each target
//! checks properties, not only "no panic" (a decoded frame never uses more
//! bytes than it was given, and every prefix of it is "incomplete";
//! `load_str(render(c)) == c` for every config
//! that parses; a hello that parses encodes back to itself).
//!
//! # Targets
//!
//! | target | function | property beyond no panic |
//! |---|---|---|
//! | `resp_request` | `resp::decode_request` | used ≤ input; every strict prefix of a complete request decodes as incomplete |
//! | `resp_reply` | `resp::decode_reply` | the same |
//! | `conf` | `config::split_line`, `config::parse`, `config::render` | a parsed config survives its rewrite |
//! | `yaml` | `config::parse_yaml`, `config::to_yaml` | a parsed config survives its rewrite |
//! | `info` | `core::parse_info` | none |
//! | `hello` | `core::Hello::parse` | parse ∘ encode ∘ parse = parse |
//!
//! # Bounds checked on every input
//!
//! - No panic: a panicking input is written to `fuzz/crashes/` and the test
//!   fails naming it.
//! - No hang: a watchdog aborts the process, printing the input, when one
//!   input runs for more than 10 s; inputs slower than 100 ms are reported.
//! - Memory: a counting allocator measures the peak bytes allocated while
//!   the target runs (this thread only); more than
//!   `64 × input length + 1 MiB` fails, with the input saved.
//!
//! # Running
//!
//! `cargo test --release --test fuzz` replays the corpus (`fuzz/corpus/`,
//! seeded from real inputs: INFO replies and pub/sub traffic of
//! redis-server 7.0.15, replies of redis-sentinel 7.0.15, the project's and
//! Debian's sentinel.conf files, captured hellos, and every input that ever
//! failed). `FUZZ_SECONDS=N` adds N seconds of mutation, split between the
//! targets (`.ci/run` gives 48 s); `FUZZ_SEED` picks the seed (the default
//! is fixed, so a CI run is reproducible); `fuzz/run.sh --minutes N` is the
//! longer run with a fresh seed.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rsentinel::config::{self, Format};
use rsentinel::core::{Hello, parse_info};
use rsentinel::resp::{Limits, decode_reply, decode_request};

// ---------------------------------------------------------------- memory

/// The system allocator, counting this thread's live bytes and their peak.
struct Counting;

thread_local! {
    /// The last panic's location and message on this thread.
    /// Set while a target runs: its panics are recorded, not printed.
    static IN_TARGET: Cell<bool> = const { Cell::new(false) };
    static LAST_PANIC: std::cell::RefCell<String> = const { std::cell::RefCell::new(String::new()) };
    static LIVE: Cell<isize> = const { Cell::new(0) };
    static PEAK: Cell<isize> = const { Cell::new(0) };
}

fn count(delta: isize) {
    // `try_with`: the thread-locals may be gone while a thread exits.
    let _ = LIVE.try_with(|live| {
        let now = live.get() + delta;
        live.set(now);
        let _ = PEAK.try_with(|peak| peak.set(peak.get().max(now)));
    });
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count(layout.size() as isize);
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        count(-(layout.size() as isize));
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        count(new_size as isize - layout.size() as isize);
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// Runs `f` and returns the peak bytes it had allocated at once.
fn peak_of(f: impl FnOnce()) -> usize {
    let base = LIVE.with(Cell::get);
    PEAK.with(|p| p.set(base));
    f();
    (PEAK.with(Cell::get) - base).max(0) as usize
}

/// The most an input of `len` bytes may make a target allocate at once.
fn memory_bound(len: usize) -> usize {
    64 * len + (1 << 20)
}

// --------------------------------------------------------------- targets

/// One fuzz target: a name (its corpus folder) and the check of one input.
struct Target {
    name: &'static str,
    check: fn(&[u8]),
    /// Tokens the mutator inserts.
    dictionary: &'static [&'static [u8]],
    /// The RESP generator feeds this target too.
    resp: bool,
}

const NUMBERS: &[&[u8]] = &[
    b"0",
    b"-1",
    b"1",
    b"65535",
    b"65536",
    b"4611686018427387904",
    b"4611686018427387905",
    b"9223372036854775807",
    b"9223372036854775808",
    b"-9223372036854775808",
    b"18446744073709551615",
    b"18446744073709551616",
    b"99999999999999999999999",
    b"1048576",
    b"67108864",
];

const RESP_TOKENS: &[&[u8]] = &[
    b"\r\n",
    b"*",
    b"$",
    b"+",
    b"-",
    b":",
    b"_",
    b"#",
    b",",
    b"=",
    b"!",
    b"%",
    b">",
    b"~",
    b"*-1\r\n",
    b"$-1\r\n",
    b"*1\r\n",
    b"%1\r\n",
    b"=4\r\ntxt:\r\n",
    b"\"",
    b"'",
    b"\\x",
    b"\n",
];

const CONF_TOKENS: &[&[u8]] = &[
    b"\n",
    b"\"",
    b"'",
    b"\\x",
    b"\\",
    b" ",
    b"#",
    b"sentinel ",
    b"monitor ",
    b"sentinel monitor m 127.0.0.1 6379 2\n",
    b"known-sentinel ",
    b"known-replica ",
    b"rename-command ",
    b"config-epoch ",
    b"current-epoch ",
    b"auth-pass ",
    b"user ",
    b"include ",
    b"port ",
    b"yes",
    b"no",
    b"\xff",
    b"\0",
];

const YAML_TOKENS: &[&[u8]] = &[
    b"\n",
    b": ",
    b"- ",
    b"  ",
    b"&a ",
    b"*a",
    b"<<: ",
    b"!!str ",
    b"!!binary ",
    b"\"",
    b"'",
    b"{",
    b"}",
    b"[",
    b"]",
    b"masters:\n",
    b"sentinel:\n",
    b"state:\n",
    b"down-after: ",
    b"5s",
    b"1000000000000h",
    b"true",
    b"~",
    b"|",
    b">",
    b"%YAML 1.2\n",
    b"---\n",
];

const INFO_TOKENS: &[&[u8]] = &[
    b"\r\n",
    b":",
    b",",
    b"=",
    b"role:slave\r\n",
    b"role:master\r\n",
    b"slave0:ip=127.0.0.1,port=6380,state=online,offset=1,lag=0\r\n",
    b"master_host:",
    b"master_port:",
    b"master_link_down_since_seconds:",
    b"slave_repl_offset:",
    b"slave_priority:",
    b"run_id:",
    b"# Replication\r\n",
];

const HELLO_TOKENS: &[&[u8]] = &[b",", b"127.0.0.1", b"::1", b"mymaster", b"a,b"];

fn targets() -> Vec<Target> {
    vec![
        Target { name: "resp_request", check: check_request, dictionary: RESP_TOKENS, resp: true },
        Target { name: "resp_reply", check: check_reply, dictionary: RESP_TOKENS, resp: true },
        Target { name: "conf", check: check_conf, dictionary: CONF_TOKENS, resp: false },
        Target { name: "yaml", check: check_yaml, dictionary: YAML_TOKENS, resp: false },
        Target { name: "info", check: check_info, dictionary: INFO_TOKENS, resp: false },
        Target { name: "hello", check: check_hello, dictionary: HELLO_TOKENS, resp: false },
    ]
}

fn check_request(input: &[u8]) {
    for limits in [Limits::REQUEST, small_limits()] {
        if let Ok(Some((_, used))) = decode_request(input, &limits) {
            assert!(used <= input.len() && used > 0, "used {used} of {}", input.len());
            check_prefixes(&input[..used], |b| decode_request(b, &limits).map(|d| d.is_none()));
        }
    }
}

fn check_reply(input: &[u8]) {
    for limits in [Limits::REPLY, small_limits()] {
        if let Ok(Some((_, used))) = decode_reply(input, &limits) {
            assert!(used <= input.len() && used > 0, "used {used} of {}", input.len());
            check_prefixes(&input[..used], |b| decode_reply(b, &limits).map(|d| d.is_none()));
        }
    }
}

/// The connection reads a value as it arrives: every strict prefix of a
/// complete value must decode as "incomplete", never as another value or
/// an error. Checks up to 32 cut points.
fn check_prefixes<E: std::fmt::Debug>(value: &[u8], incomplete: impl Fn(&[u8]) -> Result<bool, E>) {
    let step = (value.len() / 32).max(1);
    for cut in (0..value.len()).step_by(step) {
        let got = incomplete(&value[..cut]);
        assert!(matches!(got, Ok(true)), "prefix of {cut} bytes of {value:?}: {got:?}");
    }
}

/// Limits small enough for random inputs to cross them.
fn small_limits() -> Limits {
    Limits { max_bulk_len: 16, max_multibulk_len: 8, max_inline_len: 32, max_depth: 3 }
}

fn check_conf(input: &[u8]) {
    let text = String::from_utf8_lossy(input);
    for line in text.lines().take(64) {
        let _ = config::split_line(line);
    }
    let _ = rsentinel::quoting::split_bytes(input);
    if let Ok(c) = config::load_str(Format::Conf, &text, &[]) {
        let rewritten = config::render(Format::Conf, &text, &c);
        let again = config::load_str(Format::Conf, &rewritten, &[]);
        assert_eq!(again.as_ref(), Ok(&c), "the rewrite:\n{rewritten}");
    }
}

fn check_yaml(input: &[u8]) {
    let text = String::from_utf8_lossy(input);
    if let Ok(c) = config::load_str(Format::Yaml, &text, &[]) {
        let rewritten = config::render(Format::Yaml, &text, &c);
        let again = config::load_str(Format::Yaml, &rewritten, &[]);
        assert_eq!(again.as_ref(), Ok(&c), "the rewrite:\n{rewritten}");
    }
}

fn check_info(input: &[u8]) {
    let _ = parse_info(&String::from_utf8_lossy(input));
}

fn check_hello(input: &[u8]) {
    let Ok(text) = std::str::from_utf8(input) else { return };
    if let Some(h) = Hello::parse(text) {
        assert_eq!(Hello::parse(&h.encode()).as_ref(), Some(&h));
    }
}

// --------------------------------------------------------------- mutator

/// splitmix64: small, seeded, good enough to pick mutations.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

/// The largest input the mutator makes.
const MAX_INPUT: usize = 64 * 1024;

/// One to eight random edits of `input`.
fn mutate(rng: &mut Rng, input: &[u8], corpus: &[Vec<u8>], dictionary: &[&[u8]]) -> Vec<u8> {
    let mut out = input.to_vec();
    for _ in 0..1 + rng.below(8) {
        let at = rng.below(out.len() + 1);
        match rng.below(9) {
            0 if !out.is_empty() => {
                let i = rng.below(out.len());
                out[i] ^= 1 << rng.below(8);
            }
            1 if !out.is_empty() => {
                let i = rng.below(out.len());
                out[i] = rng.next() as u8;
            }
            2 => {
                let token = rng.pick(dictionary);
                out.splice(at..at, token.iter().copied());
            }
            3 => {
                let n = rng.pick(NUMBERS);
                out.splice(at..at, n.iter().copied());
            }
            4 if !out.is_empty() => {
                let end = (at + 1 + rng.below(16)).min(out.len());
                out.drain(at.min(end)..end);
            }
            5 if !out.is_empty() => {
                // Duplicate a slice (repeats: nesting, long lines).
                let start = rng.below(out.len());
                let end = (start + 1 + rng.below(64)).min(out.len());
                let piece = out[start..end].repeat(1 + rng.below(16));
                out.splice(at..at, piece);
            }
            6 => {
                // Splice in a piece of another corpus file.
                let other = rng.pick(corpus);
                if !other.is_empty() {
                    let start = rng.below(other.len());
                    let end = (start + 1 + rng.below(256)).min(other.len());
                    out.splice(at..at, other[start..end].iter().copied());
                }
            }
            7 => replace_number(rng, &mut out),
            _ => out.truncate(at),
        }
    }
    out.truncate(MAX_INPUT);
    out
}

/// Replaces one run of ASCII digits (a length, a port, an epoch) by a
/// boundary number.
fn replace_number(rng: &mut Rng, out: &mut Vec<u8>) {
    let starts: Vec<usize> = (0..out.len())
        .filter(|&i| out[i].is_ascii_digit() && (i == 0 || !out[i - 1].is_ascii_digit()))
        .collect();
    if starts.is_empty() {
        return;
    }
    let start = *rng.pick(&starts);
    let end = (start..out.len()).find(|&i| !out[i].is_ascii_digit()).unwrap_or(out.len());
    out.splice(start..end, rng.pick(NUMBERS).iter().copied());
}

/// A random RESP value, `depth` levels deep at most: wide and nested
/// aggregates, announced lengths that lie, every type byte.
fn generate_resp(rng: &mut Rng, depth: usize, out: &mut Vec<u8>) {
    if out.len() > MAX_INPUT {
        return;
    }
    let aggregate = depth > 0 && rng.below(3) == 0;
    if aggregate {
        let kind = *rng.pick(b"**%>~");
        let n = [0, 1, 2, 3, 64, 65, 1000][rng.below(7)];
        out.push(kind);
        out.extend_from_slice(n.to_string().as_bytes());
        out.extend_from_slice(b"\r\n");
        let items = if kind == b'%' { 2 * n } else { n };
        for _ in 0..items.min(1 + rng.below(200)) {
            generate_resp(rng, depth - 1, out);
        }
        return;
    }
    match rng.below(8) {
        0 => out.extend_from_slice(b"_\r\n"),
        1 => out.extend_from_slice(b":1\r\n"),
        2 => out.extend_from_slice(b"+OK\r\n"),
        3 => out.extend_from_slice(b"-ERR x\r\n"),
        4 => out.extend_from_slice(b"$-1\r\n"),
        5 => out.extend_from_slice(b",1.5\r\n"),
        _ => {
            let body = b"abcdefgh"[..rng.below(8)].to_vec();
            let lie = rng.below(10) == 0;
            let len = if lie { body.len() + 5 } else { body.len() };
            out.extend_from_slice(format!("${len}\r\n").as_bytes());
            out.extend_from_slice(&body);
            out.extend_from_slice(b"\r\n");
        }
    }
}

// ---------------------------------------------------------------- runner

fn fuzz_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz")
}

fn corpus(name: &str) -> Vec<(PathBuf, Vec<u8>)> {
    let dir = fuzz_dir().join("corpus").join(name);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.expect("dir entry").path())
        .collect();
    files.sort();
    files.into_iter().map(|p| (p.clone(), std::fs::read(&p).expect("corpus file"))).collect()
}

/// What a run found.
#[derive(Default)]
struct Report {
    executions: u64,
    /// Inputs that failed.
    failed: u64,
    /// The first five, described.
    failures: Vec<String>,
    slow: Vec<(Duration, usize)>,
    /// The largest peak allocation and the length of its input.
    max_peak: (usize, usize),
    /// The largest peak per input byte among inputs of 4 KiB or more.
    worst_ratio: f64,
}

/// A watchdog: aborts the process, printing the input, when one input
/// runs longer than 10 s.
struct Watchdog {
    started: Arc<AtomicU64>,
    input: Arc<Mutex<Vec<u8>>>,
    done: Arc<AtomicBool>,
    epoch: Instant,
}

impl Watchdog {
    fn spawn(target: &'static str) -> Watchdog {
        let w = Watchdog {
            started: Arc::new(AtomicU64::new(u64::MAX)),
            input: Arc::new(Mutex::new(Vec::new())),
            done: Arc::new(AtomicBool::new(false)),
            epoch: Instant::now(),
        };
        let (started, input, done, epoch) =
            (w.started.clone(), w.input.clone(), w.done.clone(), w.epoch);
        std::thread::spawn(move || {
            while !done.load(Ordering::Relaxed) {
                std::thread::sleep(Duration::from_millis(200));
                let t = started.load(Ordering::Relaxed);
                if t != u64::MAX && epoch.elapsed().as_millis() as u64 > t + 10_000 {
                    let input = input.lock().map(|i| i.clone()).unwrap_or_default();
                    let path = save_failure(target, &input);
                    eprintln!("HANG in {target}: one input ran over 10 s, saved as {path}");
                    std::process::abort();
                }
            }
        });
        w
    }

    fn start(&self, input: &[u8]) {
        if let Ok(mut i) = self.input.lock() {
            i.clear();
            i.extend_from_slice(input);
        }
        self.started.store(self.epoch.elapsed().as_millis() as u64, Ordering::Relaxed);
    }
}

impl Drop for Watchdog {
    fn drop(&mut self) {
        self.done.store(true, Ordering::Relaxed);
    }
}

/// Writes a failing input to `fuzz/crashes/` (kept out of git by its
/// `.gitignore`: a fixed one moves to the corpus); returns its path.
fn save_failure(target: &str, input: &[u8]) -> String {
    let dir = fuzz_dir().join("crashes");
    let _ = std::fs::create_dir_all(&dir);
    let hash = input.iter().fold(0xcbf2_9ce4_8422_2325_u64, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    });
    let path = dir.join(format!("{target}-{hash:016x}"));
    let _ = std::fs::write(&path, input);
    path.display().to_string()
}

/// Runs one input through a target, recording what breaks a bound.
fn run_one(t: &Target, w: &Watchdog, input: &[u8], report: &mut Report) {
    w.start(input);
    let start = Instant::now();
    let mut outcome = Ok(());
    IN_TARGET.with(|f| f.set(true));
    let peak = peak_of(|| outcome = catch_unwind(AssertUnwindSafe(|| (t.check)(input))));
    IN_TARGET.with(|f| f.set(false));
    let took = start.elapsed();
    report.executions += 1;
    report.max_peak = report.max_peak.max((peak, input.len()));
    if input.len() >= 4096 {
        report.worst_ratio = report.worst_ratio.max(peak as f64 / input.len() as f64);
    }
    if took > Duration::from_millis(100) {
        report.slow.push((took, input.len()));
    }
    let failure = match outcome {
        Err(_) => Some(format!("panicked at {}", LAST_PANIC.with(|p| p.borrow().clone()))),
        Ok(()) if peak > memory_bound(input.len()) => {
            Some(format!("allocated {peak} bytes at once for {} input bytes", input.len()))
        }
        Ok(()) => None,
    };
    if let Some(what) = failure {
        report.failed += 1;
        if report.failures.len() >= 5 {
            return;
        }
        let path = save_failure(t.name, input);
        report.failures.push(format!("{} {what}: {path}", t.name));
    }
}

/// Replays the target's corpus, then mutates for `budget`.
fn fuzz(t: &Target, budget: Duration, seed: u64) -> Report {
    let w = Watchdog::spawn(t.name);
    let mut report = Report::default();
    let corpus = corpus(t.name);
    assert!(!corpus.is_empty(), "fuzz/corpus/{} is empty", t.name);
    for (_, input) in &corpus {
        run_one(t, &w, input, &mut report);
    }
    let inputs: Vec<Vec<u8>> = corpus.into_iter().map(|(_, i)| i).collect();
    let mut rng = Rng(seed ^ t.name.bytes().fold(0, |h, b| h * 31 + u64::from(b)));
    let start = Instant::now();
    while start.elapsed() < budget {
        let input = if t.resp && rng.below(4) == 0 {
            let mut out = Vec::new();
            let depth = 1 + rng.below(8);
            generate_resp(&mut rng, depth, &mut out);
            out
        } else {
            let base = rng.pick(&inputs);
            mutate(&mut rng, base, &inputs, t.dictionary)
        };
        run_one(t, &w, &input, &mut report);
    }
    report
}

/// `FUZZ_SECONDS` split between the targets (0: replay the corpus only).
fn budget() -> Duration {
    let total: f64 = std::env::var("FUZZ_SECONDS").ok().and_then(|s| s.parse().ok()).unwrap_or(0.0);
    Duration::from_secs_f64(total / targets().len() as f64)
}

fn seed() -> u64 {
    std::env::var("FUZZ_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or(0x05e1_71e1)
}

fn run_target(name: &str) {
    let t = targets().into_iter().find(|t| t.name == name).expect("a target");
    // A panicking input is reported with its file and the panic's place
    // and message; the default hook's backtrace for each would drown it.
    static QUIET: std::sync::Once = std::sync::Once::new();
    QUIET.call_once(|| {
        let default = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if !IN_TARGET.with(Cell::get) {
                return default(info);
            }
            let place = info.location().map_or(String::new(), |l| format!("{l}: "));
            let text = info
                .payload()
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| info.payload().downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default();
            let text: String = text.chars().take(400).collect();
            let _ = LAST_PANIC.try_with(|p| *p.borrow_mut() = format!("{place}{text}"));
        }))
    });
    let report = fuzz(&t, budget(), seed());
    let slowest = report.slow.iter().max();
    eprintln!(
        "fuzz {name}: {} executions, {} failed, peak memory {} bytes (input of {} bytes), at most {:.1} bytes per byte of inputs over 4 KiB, {} inputs over 100 ms{}",
        report.executions,
        report.failed,
        report.max_peak.0,
        report.max_peak.1,
        report.worst_ratio,
        report.slow.len(),
        slowest.map_or(String::new(), |(d, n)| format!(" (slowest {d:?}, {n} bytes)")),
    );
    assert!(report.failures.is_empty(), "{}", report.failures.join("\n"));
}

#[test]
fn resp_request() {
    run_target("resp_request");
}

#[test]
fn resp_reply() {
    run_target("resp_reply");
}

#[test]
fn conf() {
    run_target("conf");
}

#[test]
fn yaml() {
    run_target("yaml");
}

#[test]
fn info() {
    run_target("info");
}

#[test]
fn hello() {
    run_target("hello");
}
