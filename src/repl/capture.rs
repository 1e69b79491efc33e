//! Keeps a copy of what is written to standard error while one evaluation
//! runs, so that `:bt` can show the last error's walkback again. The VM
//! writes walkbacks straight to stderr (fd 2); during an evaluation fd 2 is
//! a pipe whose reader passes everything on to the real stderr as it
//! arrives and keeps a copy. Outside evaluations fd 2 is untouched.

use std::fs::File;
use std::io::{Read, Write};
use std::os::fd::{FromRawFd, RawFd};
use std::sync::atomic::{AtomicI32, Ordering};
use std::sync::Once;

/// The real stderr's duplicate while a capture is on, else -1: the panic
/// hook puts it back so that a panic's message reaches the terminal even
/// if the process aborts before the copying thread runs.
static SAVED_STDERR: AtomicI32 = AtomicI32::new(-1);

/// Most bytes kept of one evaluation's stderr.
const KEEP: usize = 64 << 10;

fn install_panic_hook() {
    static HOOK: Once = Once::new();
    HOOK.call_once(|| {
        let default = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let saved = SAVED_STDERR.swap(-1, Ordering::SeqCst);
            if saved >= 0 {
                // SAFETY: `saved` is an open descriptor (the real stderr)
                // until `capture_stderr` closes it after taking it back.
                unsafe { libc::dup2(saved, 2) };
            }
            default(info);
        }));
    });
}

/// Runs `f` with stderr copied; answers its result and what it wrote to
/// stderr (at most the last 64 KiB). If the pipe cannot be made, `f` runs
/// with stderr as it is and nothing is kept.
pub fn capture_stderr<T>(f: impl FnOnce() -> T) -> (T, String) {
    install_panic_hook();
    let mut fds: [RawFd; 2] = [-1; 2];
    // SAFETY: `fds` has room for the two descriptors pipe writes.
    if unsafe { libc::pipe(fds.as_mut_ptr()) } != 0 {
        return (f(), String::new());
    }
    let [read_end, write_end] = fds;
    // SAFETY: plain descriptor calls on descriptors this function owns
    // (the pipe's) or on fd 2, which the process always has.
    let saved = unsafe { libc::dup(2) };
    if saved < 0 || unsafe { libc::dup2(write_end, 2) } < 0 {
        // SAFETY: closing the descriptors made above, none shared.
        unsafe {
            libc::close(read_end);
            libc::close(write_end);
            if saved >= 0 {
                libc::close(saved);
            }
        }
        return (f(), String::new());
    }
    // SAFETY: fd 2 is now a copy of the write end; this one is not needed.
    unsafe { libc::close(write_end) };
    SAVED_STDERR.store(saved, Ordering::SeqCst);
    // SAFETY: the reader owns the read end from here on, and only it.
    let mut reader = unsafe { File::from_raw_fd(read_end) };
    // SAFETY: `saved` stays open until this function closes it, after the
    // copying thread has ended; ManuallyDrop keeps the thread from closing it.
    let mut terminal = std::mem::ManuallyDrop::new(unsafe { File::from_raw_fd(saved) });
    let copier = std::thread::spawn(move || {
        let mut kept = Vec::new();
        let mut buf = [0u8; 4096];
        while let Ok(n) = reader.read(&mut buf) {
            if n == 0 {
                break;
            }
            let _ = terminal.write_all(&buf[..n]);
            kept.extend_from_slice(&buf[..n]);
            if kept.len() > 2 * KEEP {
                kept.drain(..kept.len() - KEEP);
            }
        }
        kept
    });
    let result = f();
    let _ = std::io::stderr().flush();
    if SAVED_STDERR.swap(-1, Ordering::SeqCst) >= 0 {
        // SAFETY: putting the real stderr back closes the last write end of
        // the pipe, so the copier sees the end of its input.
        unsafe { libc::dup2(saved, 2) };
    }
    let kept = copier.join().unwrap_or_default();
    // SAFETY: the copier has ended; nothing else uses `saved`.
    unsafe { libc::close(saved) };
    let start = kept.len().saturating_sub(KEEP);
    (result, String::from_utf8_lossy(&kept[start..]).into_owned())
}
