//! Writing the config file safely: the only file I/O of the config layer.
//!
//! [`persist`] replaces the file atomically (temp file in the same
//! directory, fsync, rename, fsync of the directory), so a crash leaves
//! either the old file or the new one, never half of each.
//! [`check_writable`] is the start-up check that this will be possible.
//! [`read_include`] reads the files an `include` line names.

use std::ffi::CString;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// Reads the files of an `include` line, as redis does: a path with `*`,
/// `?` or `[` is a glob(3) pattern (its files in sorted order; no match, or
/// an unreadable directory, gives no file), any other path one file that
/// must be readable. Relative paths are relative to the working directory.
pub fn read_include(path: &str) -> Result<Vec<super::Source>, String> {
    let paths = if path.contains(['*', '?', '[']) { glob(path) } else { vec![path.to_string()] };
    paths
        .into_iter()
        .map(|path| match fs::read_to_string(&path) {
            Ok(text) => Ok(super::Source { path, text }),
            Err(e) => {
                Err(format!("Fatal error, can't open config file '{path}': {}", os_reason(&e)))
            }
        })
        .collect()
}

/// The paths matching a glob(3) pattern, sorted; none when nothing matches
/// or the pattern cannot be searched.
fn glob(pattern: &str) -> Vec<String> {
    let Ok(c_pattern) = CString::new(pattern) else { return Vec::new() };
    // SAFETY: glob_t is a plain C struct for which all-zeroes is the
    // documented initial state; glob fills it and globfree releases it.
    let mut found: libc::glob_t = unsafe { std::mem::zeroed() };
    let rc = unsafe { libc::glob(c_pattern.as_ptr(), 0, None, &mut found) };
    let mut paths = Vec::new();
    if rc == 0 {
        for i in 0..found.gl_pathc {
            // SAFETY: glob returned 0, so gl_pathv holds gl_pathc valid C strings.
            let path = unsafe { std::ffi::CStr::from_ptr(*found.gl_pathv.add(i)) };
            paths.push(String::from_utf8_lossy(path.to_bytes()).into_owned());
        }
    }
    // SAFETY: `found` was initialised above and is released once.
    unsafe { libc::globfree(&mut found) };
    paths
}

/// An I/O error as strerror(3) words it, without Rust's "(os error N)".
fn os_reason(e: &io::Error) -> String {
    let text = e.to_string();
    match text.find(" (os error") {
        Some(i) => text[..i].to_string(),
        None => text,
    }
}

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

    #[test]
    fn include_reads_globs_sorted_and_plain_paths_strictly() {
        let dir = tempfile::tempdir().expect("tempdir");
        let d = dir.path().display().to_string();
        for (name, text) in
            [("b.conf", "port 2\n"), ("a.conf", "port 1\n"), (".hidden.conf", "x\n")]
        {
            fs::write(dir.path().join(name), text).expect("write");
        }
        let found = read_include(&format!("{d}/*.conf")).expect("glob");
        let names: Vec<&str> = found.iter().map(|s| s.path.as_str()).collect();
        assert_eq!(names, [format!("{d}/a.conf"), format!("{d}/b.conf")]);
        assert_eq!(found[0].text, "port 1\n");
        assert_eq!(read_include(&format!("{d}/none/*.conf")), Ok(vec![]));
        assert_eq!(
            read_include(&format!("{d}/none.conf")),
            Err(format!(
                "Fatal error, can't open config file '{d}/none.conf': No such file or directory"
            ))
        );
    }
}
