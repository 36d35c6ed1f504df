//! Reading files the user names (`--ca-file`, `--client-cert`,
//! `--client-key`, `compare --client-hello`, `diagnose --replay`): regular
//! files only, bounded in size, so that `--ca-file /dev/zero`, a FIFO or a
//! runaway file fails at once with a clear error instead of reading until
//! memory runs out or waiting forever.

use std::io::Read;
use std::path::Path;

use anyhow::{bail, Context as _, Result};

/// Certificates, keys and saved observations: far more than any real one.
pub const MAX_FILE: u64 = 16 * 1024 * 1024;
/// Captures (`compare --client-hello` with a pcap or pcapng): read as a
/// stream, so memory does not grow with their size (wire::pcap bounds what
/// it keeps); the limit bounds the time a huge one takes.
pub const MAX_CAPTURE: u64 = 4 * 1024 * 1024 * 1024;

/// Opens `path` for reading if it is a regular file of at most `max` bytes;
/// refuses devices, FIFOs, sockets and directories without opening them.
pub fn open_bounded(path: &Path, max: u64) -> Result<std::fs::File> {
    let shown = path.display();
    let meta = std::fs::metadata(path).with_context(|| format!("cannot read {shown}"))?;
    check(&meta, path, max)?;
    let file = std::fs::File::open(path).with_context(|| format!("cannot read {shown}"))?;
    // The path may have changed since the first look: check what was opened.
    let meta = file
        .metadata()
        .with_context(|| format!("cannot read {shown}"))?;
    check(&meta, path, max)?;
    Ok(file)
}

/// Reads `path` whole if it is a regular file of at most `max` bytes (see
/// [`open_bounded`]).
pub fn read_bounded(path: &Path, max: u64) -> Result<Vec<u8>> {
    let shown = path.display();
    let file = open_bounded(path, max)?;
    let len = file.metadata().map(|m| m.len()).unwrap_or(0);
    let mut bytes = Vec::with_capacity(len.min(max) as usize);
    file.take(max + 1)
        .read_to_end(&mut bytes)
        .with_context(|| format!("cannot read {shown}"))?;
    if bytes.len() as u64 > max {
        bail!("{shown} grew past {} while being read", size(max));
    }
    Ok(bytes)
}

fn check(meta: &std::fs::Metadata, path: &Path, max: u64) -> Result<()> {
    let shown = path.display();
    if meta.is_dir() {
        bail!("{shown} is a directory, not a file");
    }
    if !meta.is_file() {
        bail!("{shown} is not a regular file (a device, FIFO or socket); give a file");
    }
    if meta.len() > max {
        bail!(
            "{shown} is {} bytes, over the limit of {} for this input",
            meta.len(),
            size(max)
        );
    }
    Ok(())
}

fn size(bytes: u64) -> String {
    match bytes / (1024 * 1024) {
        mib if mib >= 1024 && mib % 1024 == 0 => format!("{} GiB", mib / 1024),
        mib => format!("{mib} MiB"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn devices_directories_and_big_files_are_refused() {
        let started = std::time::Instant::now();
        let e = read_bounded(Path::new("/dev/zero"), MAX_FILE).unwrap_err();
        assert!(format!("{e:#}").contains("not a regular file"), "{e:#}");
        let e = read_bounded(Path::new("/dev/urandom"), MAX_FILE).unwrap_err();
        assert!(format!("{e:#}").contains("not a regular file"), "{e:#}");
        let e = read_bounded(Path::new("/"), MAX_FILE).unwrap_err();
        assert!(format!("{e:#}").contains("directory"), "{e:#}");
        assert!(started.elapsed() < std::time::Duration::from_secs(1));

        let dir = std::env::temp_dir().join(format!("tlsdoctor-input-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let small = dir.join("small");
        std::fs::write(&small, b"hello").unwrap();
        assert_eq!(read_bounded(&small, 5).unwrap(), b"hello");
        let e = read_bounded(&small, 4).unwrap_err();
        assert!(
            format!("{e:#}").contains("5 bytes, over the limit"),
            "{e:#}"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
