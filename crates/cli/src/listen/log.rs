//! The `--json-log` file: one record per line, a size limit with one
//! rotation (`FILE` → `FILE.1`, replacing the previous `FILE.1`), and write
//! errors that are reported, not fatal: a full disk must not stop the
//! listener.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result};
use model::ClientHelloRecord;

/// The default size limit of the log before it is rotated.
pub const DEFAULT_MAX_LOG: u64 = 100 * 1024 * 1024;

/// An append-only JSON lines log.
pub struct JsonLog {
    path: PathBuf,
    file: File,
    written: u64,
    max: u64,
    /// Records lost since writing last failed.
    lost: u64,
}

impl JsonLog {
    /// Opens (appends to) `path`; rotates once it would grow past `max` bytes.
    pub fn open(path: &Path, max: u64) -> Result<JsonLog> {
        let file = open(path)?;
        let written = file.metadata().map(|m| m.len()).unwrap_or(0);
        Ok(JsonLog {
            path: path.to_path_buf(),
            file,
            written,
            max: max.max(1),
            lost: 0,
        })
    }

    /// Appends one record. Returns what to tell the user, if anything: that
    /// writing failed (once per run of failures), or that it works again.
    pub fn append(&mut self, record: &ClientHelloRecord) -> Option<String> {
        let mut line = serde_json::to_vec(record).unwrap_or_default();
        line.push(b'\n');
        let result = self.rotate_if_full(line.len() as u64).and_then(|()| {
            self.file.write_all(&line)?;
            self.file.flush()
        });
        match result {
            Ok(()) => {
                self.written += line.len() as u64;
                let lost = std::mem::take(&mut self.lost);
                (lost > 0).then(|| {
                    format!(
                        "the JSON log {} is written again ({lost} record(s) lost)",
                        self.path.display()
                    )
                })
            }
            Err(e) => {
                self.lost += 1;
                (self.lost == 1).then(|| {
                    format!(
                        "cannot write the JSON log {}: {e}; records are lost until it works again",
                        self.path.display()
                    )
                })
            }
        }
    }

    fn rotate_if_full(&mut self, next: u64) -> std::io::Result<()> {
        if self.written == 0 || self.written + next <= self.max || !self.is_regular() {
            return Ok(());
        }
        let mut old = self.path.clone().into_os_string();
        old.push(".1");
        std::fs::rename(&self.path, &old)?;
        self.file = open(&self.path).map_err(std::io::Error::other)?;
        self.written = 0;
        Ok(())
    }

    /// Only a regular file is rotated (not /dev/null or a pipe).
    fn is_regular(&self) -> bool {
        self.file.metadata().is_ok_and(|m| m.is_file())
    }
}

fn open(path: &Path) -> Result<File> {
    OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .with_context(|| format!("cannot open {}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record() -> ClientHelloRecord {
        ClientHelloRecord::new(
            time::OffsetDateTime::UNIX_EPOCH,
            "127.0.0.1:1".parse().unwrap(),
        )
    }

    #[test]
    fn rotates_past_the_limit() {
        let dir = std::env::temp_dir().join(format!("tlsdoctor-log-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("clients.jsonl");
        let line = serde_json::to_vec(&record()).unwrap().len() as u64 + 1;
        let mut log = JsonLog::open(&path, line * 3).unwrap();
        for _ in 0..4 {
            assert_eq!(log.append(&record()), None);
        }
        let lines = |p: &Path| std::fs::read_to_string(p).unwrap().lines().count();
        assert_eq!(lines(&path), 1);
        assert_eq!(lines(&dir.join("clients.jsonl.1")), 3);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_full_disk_is_reported_once() {
        let mut log = JsonLog::open(Path::new("/dev/full"), DEFAULT_MAX_LOG).unwrap();
        assert!(log.append(&record()).unwrap().contains("cannot write"));
        assert_eq!(log.append(&record()), None);
        assert_eq!(log.lost, 2);
    }
}
