//! Process life outside the runtime: the lock that keeps a second rsentinel
//! off a config file, `daemonize yes`, and the pid file. All of it runs in
//! `main` before the tokio runtime starts (a fork must happen while the
//! process has one thread).
//!
//! # The config lock
//!
//! Two sentinels rewriting one config file lose each other's state (each
//! writes its own myid, epochs and votes over the other's), so the second
//! one must refuse to start. The lock is an exclusive `flock` on
//! `<config>.lock`, a file beside the config, never on the config itself:
//! every rewrite replaces the config by renaming a new file over it, and a
//! lock on the old inode would protect nothing after the first rewrite.
//! Not the directory either: one directory may hold several configs (the
//! `rsentinel@.service` template keeps `sentinel-26379.conf` and
//! `sentinel-26380.conf` side by side), and each must be lockable on its
//! own. The lock file is never removed (removing it would let a third
//! process lock a new inode while the second still waits on the old one);
//! it holds the pid of the process that has the lock, for the message the
//! next one prints. The kernel drops an `flock` when its holder dies, so a
//! crash never leaves a stale lock. A start finding the lock held waits up
//! to two seconds for it before refusing: a restart that kills the old
//! process and at once starts the new one (Redis's own sentinel test suite
//! does) must not fail on the moment the old one takes to die. It needs nothing more than the config
//! file already needs: a writable directory (the rewrite's temporary file
//! lives there too).
//!
//! # Daemonizing
//!
//! `daemonize yes` forks as redis does: the parent waits until the child is
//! ready (listening, config saved) or has died, and exits 0 or 1
//! accordingly, so a start script learns of a failure; the child starts a
//! new session and points standard input, output and error at `/dev/null`
//! (with an empty `logfile`, the log goes to `/dev/null`, as redis's does).
//! A daemon with no `pidfile` writes [`DEFAULT_DAEMON_PIDFILE`]. When a
//! supervisor (systemd, upstart) is detected, `daemonize` is ignored, as
//! redis ignores it.

use std::fs::{File, OpenOptions};
use std::io::{self, Read, Write};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::path::{Path, PathBuf};

/// The pid file of a daemon whose config names none (redis's is
/// `/var/run/redis.pid`).
pub const DEFAULT_DAEMON_PIDFILE: &str = "/var/run/rsentinel.pid";

/// How long a start waits for a config lock held by another process
/// before it refuses.
const LOCK_WAIT: std::time::Duration = std::time::Duration::from_secs(2);

/// An exclusive lock on a config file, held until dropped (or the process
/// ends).
#[derive(Debug)]
pub struct ConfigLock {
    file: File,
    path: PathBuf,
}

/// The lock file of a config file: `<config>.lock`.
pub fn lock_path(config: &Path) -> PathBuf {
    let mut name = config.as_os_str().to_owned();
    name.push(".lock");
    PathBuf::from(name)
}

impl ConfigLock {
    /// Takes the lock of `config`, or says who holds it.
    ///
    /// The lock sits beside the file the path leads to: a config reached
    /// through a symbolic link (`/etc/rsentinel/s.conf` pointing at
    /// `/srv/s.conf`) is the same file, and a second sentinel started on
    /// either name must find the first one's lock.
    pub fn acquire(config: &Path) -> Result<ConfigLock, String> {
        let real = std::fs::canonicalize(config).unwrap_or_else(|_| config.to_path_buf());
        let path = lock_path(&real);
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(|e| format!("Can't open the lock file {}: {e}", path.display()))?;
        let started = std::time::Instant::now();
        // SAFETY: flock on a descriptor we own.
        while unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) } != 0 {
            let err = io::Error::last_os_error();
            if err.raw_os_error() != Some(libc::EWOULDBLOCK) {
                return Err(format!("Can't lock {}: {err}", path.display()));
            }
            // A holder that is on its way out (a restart that kills the old
            // process and starts the new one at once, as supervisors and
            // Redis's own test suite do) lets go within moments.
            if started.elapsed() < LOCK_WAIT {
                std::thread::sleep(std::time::Duration::from_millis(20));
                continue;
            }
            let mut holder = String::new();
            let _ = file.read_to_string(&mut holder);
            let holder = match holder.trim() {
                pid if !pid.is_empty() && pid.bytes().all(|b| b.is_ascii_digit()) => {
                    format!(" (pid {pid})")
                }
                _ => String::new(),
            };
            return Err(format!(
                "Another rsentinel{holder} is already running with the config file {} \
                 (it holds the lock {}). Two sentinels on one config file would overwrite \
                 each other's state. Exiting...",
                config.display(),
                path.display()
            ));
        }
        let mut lock = ConfigLock { file, path };
        lock.record_pid();
        Ok(lock)
    }

    /// Writes this process's pid into the lock file (again after a fork).
    pub fn record_pid(&mut self) {
        use std::os::unix::fs::FileExt;
        let _ = self.file.set_len(0);
        let _ = self.file.write_all_at(format!("{}\n", std::process::id()).as_bytes(), 0);
    }

    /// The lock file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

/// The daemon's end of the pipe its waiting parent reads: [`Ready::send`]
/// tells the parent to exit 0; a daemon that dies first closes it, and the
/// parent exits 1.
#[derive(Debug)]
pub struct Ready(File);

impl Ready {
    /// Tells the waiting parent that the daemon is up.
    pub fn send(mut self) {
        let _ = self.0.write_all(b"1");
    }
}

/// Forks into the background. Returns in the child (the daemon), with the
/// pipe to tell the parent it is ready; the parent never returns: it exits
/// 0 once the child is ready, 1 if the child ends first. Call it while the
/// process has a single thread.
pub fn daemonize() -> io::Result<Ready> {
    let mut fds = [0; 2];
    // SAFETY: pipe2 fills the two descriptors it creates.
    if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) } != 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: both descriptors were just created and are owned here only.
    let (read_end, write_end) =
        unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) };
    // SAFETY: one thread (the caller's promise): the child may run anything.
    match unsafe { libc::fork() } {
        -1 => Err(io::Error::last_os_error()),
        0 => {
            drop(read_end);
            // SAFETY: plain system calls on our own process and descriptors.
            unsafe {
                libc::setsid();
                let null = libc::open(c"/dev/null".as_ptr(), libc::O_RDWR);
                if null >= 0 {
                    libc::dup2(null, 0);
                    libc::dup2(null, 1);
                    libc::dup2(null, 2);
                    if null > 2 {
                        libc::close(null);
                    }
                }
            }
            Ok(Ready(File::from(write_end)))
        }
        child => {
            drop(write_end);
            let mut byte = [0u8; 1];
            let mut pipe = File::from(read_end);
            let ready = matches!(pipe.read(&mut byte), Ok(1));
            if !ready {
                eprintln!(
                    "rsentinel (pid {child}) ended before it was ready: see its log file \
                     (with no logfile, a daemon's log goes to /dev/null)"
                );
            }
            std::process::exit(if ready { 0 } else { 1 });
        }
    }
}

/// A pid file: written at start, removed when dropped.
#[derive(Debug)]
pub struct PidFile(PathBuf);

impl PidFile {
    /// Writes this process's pid to `path`.
    pub fn write(path: &Path) -> io::Result<PidFile> {
        std::fs::write(path, format!("{}\n", std::process::id()))?;
        Ok(PidFile(path.to_path_buf()))
    }
}

impl Drop for PidFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lock_path_is_beside_the_config() {
        assert_eq!(lock_path(Path::new("/etc/x/s.conf")), PathBuf::from("/etc/x/s.conf.lock"));
    }

    #[test]
    fn a_second_lock_on_one_config_is_refused_and_names_the_holder() {
        let dir = std::env::temp_dir().join(format!("rsentinel-lock-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let config = dir.join("s.conf");
        let first = ConfigLock::acquire(&config).expect("first lock");
        let err = ConfigLock::acquire(&config).expect_err("second lock refused");
        assert!(err.contains(&format!("(pid {})", std::process::id())), "{err}");
        assert!(err.contains("s.conf.lock"), "{err}");
        // The same file through a symbolic link is the same config.
        std::fs::write(&config, "").unwrap();
        let link = dir.join("link.conf");
        let _ = std::fs::remove_file(&link);
        std::os::unix::fs::symlink(&config, &link).unwrap();
        let err = ConfigLock::acquire(&link).expect_err("the config through a link is locked");
        assert!(err.contains("s.conf.lock"), "{err}");
        let other = ConfigLock::acquire(&dir.join("t.conf")).expect("another config locks");
        drop((first, other));
        ConfigLock::acquire(&config).expect("free again once dropped");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
