//! The audit file on disk: opening it, recovering its tail, appending and syncing.
//!
//! On open the folder is created when missing and a new file gets mode 0640 (unix). An
//! existing file is continued: its chain resumes from the last complete line, and a torn
//! last line (no `\n`: the process died mid-write) is cut off with a warning. That loses no
//! acknowledged record, because a record is acknowledged only after its whole line is synced.
//! Only the tail is read, so opening a large file is cheap; full checking is
//! [`super::verify`]'s job. A path that is not a regular file (`/dev/stdout`, a pipe) is
//! written to but never synced or truncated.
//!
//! Called only from the writer thread ([`super::writer`]).

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::AuditError;
use super::record::{GENESIS_HASH, split_hash};

/// Where the writer puts its bytes. [`AuditFile`] in production; tests may inject failures.
pub(crate) trait Sink: Send + 'static {
    fn append(&mut self, bytes: &[u8]) -> io::Result<()>;
    /// Makes every appended byte durable (`fdatasync`).
    fn sync(&mut self) -> io::Result<()>;
    /// Cuts the file back to `len` bytes, undoing a partly written batch.
    fn truncate(&mut self, len: u64) -> io::Result<()>;
}

/// An open audit file, positioned to append after its last complete record.
pub(crate) struct AuditFile {
    file: File,
    regular: bool,
}

/// An opened file and where its chain stands.
pub(crate) struct Opened {
    pub file: AuditFile,
    /// `hash` of the last record, or [`GENESIS_HASH`].
    pub prev_hash: String,
    /// Length in bytes of the complete lines.
    pub len: u64,
}

/// Opens (or creates) the audit file at `path` and recovers its tail.
pub(crate) fn open(path: &Path) -> Result<Opened, AuditError> {
    let open_err = |source| AuditError::Open {
        path: path.to_path_buf(),
        source: Arc::new(source),
    };
    let parent = path.parent().filter(|p| !p.as_os_str().is_empty());
    if let Some(parent) = parent {
        fs::create_dir_all(parent).map_err(open_err)?;
    }
    let created = !path.exists();
    let mut options = OpenOptions::new();
    options.read(true).append(true).create(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o640);
    let mut file = options.open(path).map_err(open_err)?;
    let meta = file.metadata().map_err(open_err)?;
    if !meta.is_file() {
        let file = AuditFile {
            file,
            regular: false,
        };
        return Ok(Opened {
            file,
            prev_hash: GENESIS_HASH.to_string(),
            len: 0,
        });
    }
    if created {
        sync_folder(parent).map_err(open_err)?;
    }
    let size = meta.len();
    let tail = read_tail(&mut file, size).map_err(open_err)?;
    if tail.complete_len < size {
        file.set_len(tail.complete_len).map_err(open_err)?;
        file.sync_data().map_err(open_err)?;
        tracing::warn!(
            audit.path = %path.display(),
            audit.torn_bytes = size - tail.complete_len,
            "audit file ended in a torn line; truncated it"
        );
    }
    let prev_hash = match tail.last_line {
        None => GENESIS_HASH.to_string(),
        Some(line) => match split_hash(&line) {
            Some((_, hash)) => hash.to_string(),
            None => return Err(corrupt(path)),
        },
    };
    let file = AuditFile {
        file,
        regular: true,
    };
    Ok(Opened {
        file,
        prev_hash,
        len: tail.complete_len,
    })
}

fn corrupt(path: &Path) -> AuditError {
    AuditError::CorruptTail {
        path: PathBuf::from(path),
    }
}

impl Sink for AuditFile {
    fn append(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.file.write_all(bytes)
    }

    fn sync(&mut self) -> io::Result<()> {
        if self.regular {
            self.file.sync_data()
        } else {
            Ok(())
        }
    }

    fn truncate(&mut self, len: u64) -> io::Result<()> {
        if self.regular {
            self.file.set_len(len)?;
            self.file.sync_data()
        } else {
            Ok(())
        }
    }
}

/// A new file's name is durable only once its folder is synced.
fn sync_folder(folder: Option<&Path>) -> io::Result<()> {
    #[cfg(unix)]
    {
        let folder = folder.unwrap_or(Path::new("."));
        File::open(folder)?.sync_all()
    }
    #[cfg(not(unix))]
    {
        let _ = folder;
        Ok(())
    }
}

/// The end of a file: how much of it is complete lines, and the last complete line.
#[derive(Debug, PartialEq, Eq)]
struct Tail {
    complete_len: u64,
    /// Without its `\n`.
    last_line: Option<Vec<u8>>,
}

/// Reads backwards from the end, in growing windows, until the last complete line is found.
fn read_tail(file: &mut File, size: u64) -> io::Result<Tail> {
    let mut window = 64 * 1024u64;
    loop {
        let start = size.saturating_sub(window);
        let mut buf = vec![0; usize::try_from(size - start).map_err(io::Error::other)?];
        file.seek(SeekFrom::Start(start))?;
        file.read_exact(&mut buf)?;
        if let Some(tail) = tail_of(&buf, start) {
            return Ok(tail);
        }
        window = window.saturating_mul(4);
    }
}

/// The tail found in `buf` (the file's bytes from offset `start` to its end), or `None` when
/// the window must grow to see the start of the last complete line.
fn tail_of(buf: &[u8], start: u64) -> Option<Tail> {
    let at_file_start = start == 0;
    let Some(end) = buf.iter().rposition(|&b| b == b'\n') else {
        return at_file_start.then_some(Tail {
            complete_len: 0,
            last_line: None,
        });
    };
    let line_start = match buf[..end].iter().rposition(|&b| b == b'\n') {
        Some(i) => i + 1,
        None if at_file_start => 0,
        None => return None,
    };
    Some(Tail {
        complete_len: start + end as u64 + 1,
        last_line: Some(buf[line_start..end].to_vec()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_file_has_no_last_line() {
        let tail = tail_of(b"", 0);
        assert_eq!(
            tail,
            Some(Tail {
                complete_len: 0,
                last_line: None
            })
        );
    }

    #[test]
    fn a_file_of_one_torn_line_keeps_nothing() {
        let tail = tail_of(b"{\"ts\":", 0);
        assert_eq!(
            tail,
            Some(Tail {
                complete_len: 0,
                last_line: None
            })
        );
    }

    #[test]
    fn the_last_complete_line_is_found_before_a_torn_one() {
        let tail = tail_of(b"one\ntwo\nthr", 0);
        assert_eq!(
            tail,
            Some(Tail {
                complete_len: 8,
                last_line: Some(b"two".to_vec())
            })
        );
    }

    #[test]
    fn a_window_that_starts_mid_line_asks_for_more() {
        assert_eq!(tail_of(b"ne\nthr", 10), None);
        assert_eq!(tail_of(b"thr", 10), None);
    }

    #[test]
    fn offsets_are_counted_from_the_window_start() {
        let tail = tail_of(b"x\ntwo\n", 100);
        assert_eq!(
            tail,
            Some(Tail {
                complete_len: 106,
                last_line: Some(b"two".to_vec())
            })
        );
    }
}
