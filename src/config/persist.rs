//! Writing the config file safely: the only file I/O of the config layer.
//!
//! [`persist`] replaces the file atomically (temp file in the same
//! directory, fsync, rename, fsync of the directory), so a crash leaves
//! either the old file or the new one, never half of each.
//! [`check_writable`] is the start-up check that this will be possible.

use std::ffi::CString;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// Makes temp file names unique within the process.
static COUNTER: AtomicU64 = AtomicU64::new(0);

/// Replaces the file at `path` with `text`, atomically and durably.
///
/// Writes a temp file `.<name>.tmp-<pid>-<n>` in the same directory, fsyncs
/// it, gives it the permissions of the file it replaces (0644 minus the
/// umask for a new file), renames it over `path`, then fsyncs the
/// directory so the rename itself is on disk. On error the temp file is
/// removed and the original file is untouched.
pub fn persist(path: &Path, text: &str) -> io::Result<()> {
    let temp = temp_path(path)?;
    let result = write_temp(path, &temp, text).and_then(|()| fs::rename(&temp, path));
    if let Err(e) = result {
        // The temp file may not exist (creation failed); that is fine.
        let _ = fs::remove_file(&temp);
        return Err(e);
    }
    File::open(parent_dir(path))?.sync_all()
}

/// The temp file's path, next to `path`.
fn temp_path(path: &Path) -> io::Result<PathBuf> {
    let name = path.file_name().ok_or_else(|| {
        io::Error::new(io::ErrorKind::InvalidInput, format!("{} has no file name", path.display()))
    })?;
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let temp = format!(".{}.tmp-{}-{n}", name.to_string_lossy(), std::process::id());
    Ok(parent_dir(path).join(temp))
}

/// Creates the temp file, writes `text`, copies the permissions of `path`
/// if it exists, and fsyncs.
fn write_temp(path: &Path, temp: &Path, text: &str) -> io::Result<()> {
    let mut file = OpenOptions::new().write(true).create_new(true).mode(0o644).open(temp)?;
    file.write_all(text.as_bytes())?;
    match fs::metadata(path) {
        Ok(meta) => file.set_permissions(meta.permissions())?,
        Err(e) if e.kind() == io::ErrorKind::NotFound => {}
        Err(e) => return Err(e),
    }
    file.sync_all()
}

/// The directory holding `path` (`.` for a bare file name).
fn parent_dir(path: &Path) -> &Path {
    match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    }
}

/// Checks, at start-up, that the config file can be rewritten later: it
/// must exist, be writable, and sit in a writable directory (the rewrite
/// creates a temp file there; redis-sentinel only checks the file and finds
/// out about the directory at the first rewrite).
///
/// The error message names the path and the OS error, e.g.
/// `config file /etc/s.conf is not writable: Permission denied (os error 13)`.
pub fn check_writable(path: &Path) -> Result<(), String> {
    let meta = fs::metadata(path)
        .map_err(|e| format!("config file {} cannot be read: {e}", path.display()))?;
    if meta.is_dir() {
        return Err(format!("config file {} is a directory", path.display()));
    }
    writable(path).map_err(|e| format!("config file {} is not writable: {e}", path.display()))?;
    let dir = parent_dir(path);
    writable(dir).map_err(|e| {
        format!(
            "directory {} of config file {} is not writable (needed for rewrites): {e}",
            dir.display(),
            path.display()
        )
    })
}

/// `access(path, W_OK)`: whether this process may write `path`, with the
/// same rules (root, ACLs, read-only mounts) the kernel will apply.
fn writable(path: &Path) -> io::Result<()> {
    let c_path = CString::new(path.as_os_str().as_bytes())
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "path contains a NUL byte"))?;
    // SAFETY: `c_path` is a valid NUL-terminated string that outlives the call;
    // access(2) only reads it.
    let rc = unsafe { libc::access(c_path.as_ptr(), libc::W_OK) };
    if rc == 0 { Ok(()) } else { Err(io::Error::last_os_error()) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn temp_names_are_unique_and_hidden() {
        let a = temp_path(Path::new("/x/s.conf")).expect("name");
        let b = temp_path(Path::new("/x/s.conf")).expect("name");
        assert_ne!(a, b);
        assert_eq!(a.parent(), Some(Path::new("/x")));
        assert!(a.file_name().is_some_and(|n| n.to_string_lossy().starts_with(".s.conf.tmp-")));
        assert_eq!(temp_path(Path::new("s.conf")).expect("name").parent(), Some(Path::new(".")));
        assert!(temp_path(Path::new("/")).is_err());
    }
}
