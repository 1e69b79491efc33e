//! Host primitives: files and directories, standard input, UTF-8
//! conversion. What a FileStream, a FileReference and Stdin ask of the
//! operating system; buffering, paths and errors as exceptions are the
//! class library's business (stdlib/920-FileStream.st,
//! 921-FileReference.st, 922-Stdio.st).
//!
//! An operating-system failure is not a primitive failure: the primitive
//! answers a two-element Array `{code. reason}` (see [`ErrorCode`]), which
//! no successful answer of these primitives looks like, and the library
//! turns it into the right exception with the path in its message. The
//! primitive fails only on arguments of the wrong kind.
//!
//! Open files are kept in a table outside the heap, keyed by a handle (a
//! SmallInteger) that the FileStream holds. A handle records the session
//! (`Smalltalk sessionId`) that opened it: in a later session (the image
//! was saved and booted again) the table no longer has it, and even a
//! reused number would belong to another session, so a stale handle can
//! never reach someone else's descriptor. The table belongs to the `Vm`
//! (dropping the VM closes its files); it only ever holds `File`s, never
//! an `Oop`.

use std::collections::BTreeMap;
use std::fs::{File, OpenOptions};
use std::io::{self, BufRead, Read, Seek, SeekFrom, Write};
use std::time::UNIX_EPOCH;

use super::index::Primitive as P;
use super::{answer, arg, require, PrimError, PrimResult};
use crate::heap::Oop;
use crate::interp::Vm;
use crate::objects::layout::KnownClass;

/// What kind of operating-system failure an error answer reports; the
/// library maps each to an exception class.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(i64)]
pub enum ErrorCode {
    Other = 0,
    DoesNotExist = 1,
    Exists = 2,
    PermissionDenied = 3,
    DirectoryNotEmpty = 4,
    IsADirectory = 5,
    NotADirectory = 6,
    /// The handle is not open in this session (closed, or opened before the image was booted).
    StaleHandle = 7,
}

impl ErrorCode {
    fn of(error: &io::Error) -> ErrorCode {
        match error.raw_os_error() {
            Some(libc::ENOENT) => return ErrorCode::DoesNotExist,
            Some(libc::EEXIST) => return ErrorCode::Exists,
            Some(libc::EACCES | libc::EPERM) => return ErrorCode::PermissionDenied,
            Some(libc::ENOTEMPTY) => return ErrorCode::DirectoryNotEmpty,
            Some(libc::EISDIR) => return ErrorCode::IsADirectory,
            Some(libc::ENOTDIR) => return ErrorCode::NotADirectory,
            _ => {}
        }
        match error.kind() {
            io::ErrorKind::NotFound => ErrorCode::DoesNotExist,
            io::ErrorKind::AlreadyExists => ErrorCode::Exists,
            io::ErrorKind::PermissionDenied => ErrorCode::PermissionDenied,
            _ => ErrorCode::Other,
        }
    }
}

/// An open file and the session it belongs to.
struct OpenFile {
    session: i64,
    file: File,
}

/// The files a VM has open, by handle.
#[derive(Default)]
pub struct OpenFiles {
    files: BTreeMap<i64, OpenFile>,
    last_handle: i64,
}

/// The most bytes one read primitive answers.
const MAX_READ: i64 = 1 << 24;

pub fn file(vm: &mut Vm, prim: P, argc: usize) -> PrimResult {
    match prim {
        P::FileOpen => {
            let path = path_arg(vm, argc, 0)?;
            let mode = arg(vm, argc, 1).to_small_integer().ok_or(PrimError::Fail)?;
            let mut options = OpenOptions::new();
            match mode {
                0 => options.read(true),
                1 => options.write(true).create(true).truncate(true),
                2 => options.append(true).create(true),
                3 => options.read(true).write(true).create(true),
                4 => options.read(true).write(true).create_new(true),
                5 => options.read(true).write(true),
                6 => options.read(true).write(true).create(true).truncate(true),
                _ => return Err(PrimError::Fail),
            };
            let opened = options.open(&path).and_then(|file| {
                // Opening a directory for reading succeeds on Unix; reading it would not.
                if file.metadata()?.is_dir() {
                    Err(io::Error::from_raw_os_error(libc::EISDIR))
                } else {
                    Ok(file)
                }
            });
            match opened {
                Ok(file) => {
                    vm.open_files.last_handle += 1;
                    let handle = vm.open_files.last_handle;
                    vm.open_files.files.insert(handle, OpenFile { session: vm.session_id, file });
                    answer(vm, argc, Oop::small_integer(handle))
                }
                Err(e) => answer_error(vm, argc, &e),
            }
        }
        P::FileClose => {
            let handle = handle_arg(vm, argc)?;
            let removed = {
                let files = &mut vm.open_files.files;
                match files.get(&handle) {
                    Some(open) if open.session == vm.session_id => files.remove(&handle),
                    _ => None,
                }
            };
            match removed {
                // Dropping the File closes the descriptor; writes are not buffered here.
                Some(open) => {
                    drop(open);
                    answer(vm, argc, vm.mem.nil())
                }
                None => answer_stale(vm, argc),
            }
        }
        P::FileReadText | P::FileReadBytes => {
            let handle = handle_arg(vm, argc)?;
            let max = arg(vm, argc, 1).to_small_integer().ok_or(PrimError::Fail)?;
            require(max > 0)?;
            let max = max.clamp(4, MAX_READ) as usize;
            let read = with_file(vm, handle, |file| {
                let mut bytes = vec![0; max];
                let n = read_some(file, &mut bytes)?;
                bytes.truncate(n);
                if prim == P::FileReadText {
                    complete_last_character(file, &mut bytes);
                }
                Ok(bytes)
            });
            match read {
                Some(Ok(bytes)) if prim == P::FileReadText => {
                    let text = vm.mem.new_string(&String::from_utf8_lossy(&bytes))?;
                    answer(vm, argc, text)
                }
                Some(Ok(bytes)) => {
                    let array = vm.mem.new_bytes(KnownClass::ByteArray, &bytes)?;
                    answer(vm, argc, array)
                }
                Some(Err(e)) => answer_error(vm, argc, &e),
                None => answer_stale(vm, argc),
            }
        }
        P::FileWrite => {
            let handle = handle_arg(vm, argc)?;
            let bytes = super::system::utf8_bytes(vm, arg(vm, argc, 1)).ok_or(PrimError::Fail)?;
            match with_file(vm, handle, |file| file.write_all(&bytes)) {
                Some(Ok(())) => answer(vm, argc, Oop::small_integer(bytes.len() as i64)),
                Some(Err(e)) => answer_error(vm, argc, &e),
                None => answer_stale(vm, argc),
            }
        }
        P::FilePosition => {
            let handle = handle_arg(vm, argc)?;
            match with_file(vm, handle, |file| file.stream_position()) {
                Some(Ok(position)) => answer(vm, argc, Oop::small_integer(position as i64)),
                Some(Err(e)) => answer_error(vm, argc, &e),
                None => answer_stale(vm, argc),
            }
        }
        P::FileSetPosition => {
            let handle = handle_arg(vm, argc)?;
            let position = arg(vm, argc, 1).to_small_integer().ok_or(PrimError::Fail)?;
            require(position >= 0)?;
            match with_file(vm, handle, |file| file.seek(SeekFrom::Start(position as u64))) {
                Some(Ok(_)) => answer(vm, argc, vm.mem.nil()),
                Some(Err(e)) => answer_error(vm, argc, &e),
                None => answer_stale(vm, argc),
            }
        }
        P::FileSize => {
            let handle = handle_arg(vm, argc)?;
            match with_file(vm, handle, |file| file.metadata()) {
                Some(Ok(meta)) => answer(vm, argc, Oop::small_integer(meta.len() as i64)),
                Some(Err(e)) => answer_error(vm, argc, &e),
                None => answer_stale(vm, argc),
            }
        }
        P::PathInfo => {
            let path = path_arg(vm, argc, 0)?;
            match std::fs::metadata(&path) {
                Ok(meta) => {
                    let kind = if meta.is_file() {
                        1
                    } else if meta.is_dir() {
                        2
                    } else {
                        3
                    };
                    let modified = meta
                        .modified()
                        .ok()
                        .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
                        .map_or(0, |d| d.as_secs() as i64);
                    let info = vm.mem.new_array_from(&[
                        Oop::small_integer(kind),
                        Oop::small_integer(meta.len() as i64),
                        Oop::small_integer(modified),
                    ])?;
                    answer(vm, argc, info)
                }
                Err(e)
                    if ErrorCode::of(&e) == ErrorCode::DoesNotExist
                        || ErrorCode::of(&e) == ErrorCode::NotADirectory =>
                {
                    answer(vm, argc, vm.mem.nil())
                }
                Err(e) => answer_error(vm, argc, &e),
            }
        }
        P::PathReadContents => {
            let path = path_arg(vm, argc, 0)?;
            let binary = arg(vm, argc, 1) == vm.mem.true_object();
            match std::fs::read(&path) {
                Ok(bytes) if binary => {
                    let array = vm.mem.new_bytes(KnownClass::ByteArray, &bytes)?;
                    answer(vm, argc, array)
                }
                Ok(bytes) => {
                    let text = vm.mem.new_string(&String::from_utf8_lossy(&bytes))?;
                    answer(vm, argc, text)
                }
                Err(e) => answer_error(vm, argc, &e),
            }
        }
        P::PathWriteContents => {
            let path = path_arg(vm, argc, 0)?;
            let bytes = super::system::utf8_bytes(vm, arg(vm, argc, 1)).ok_or(PrimError::Fail)?;
            let append = arg(vm, argc, 2) == vm.mem.true_object();
            let written = OpenOptions::new()
                .create(true)
                .write(true)
                .append(append)
                .truncate(!append)
                .open(&path)
                .and_then(|mut file| file.write_all(&bytes));
            match written {
                Ok(()) => answer(vm, argc, Oop::small_integer(bytes.len() as i64)),
                Err(e) => answer_error(vm, argc, &e),
            }
        }
        P::PathDeleteFile => {
            let path = path_arg(vm, argc, 0)?;
            answer_unit(vm, argc, std::fs::remove_file(&path))
        }
        P::PathCreateDirectory => {
            let path = path_arg(vm, argc, 0)?;
            let all = arg(vm, argc, 1) == vm.mem.true_object();
            let made = if all { std::fs::create_dir_all(&path) } else { std::fs::create_dir(&path) };
            answer_unit(vm, argc, made)
        }
        P::PathDeleteDirectory => {
            let path = path_arg(vm, argc, 0)?;
            let all = arg(vm, argc, 1) == vm.mem.true_object();
            let removed = if all { std::fs::remove_dir_all(&path) } else { std::fs::remove_dir(&path) };
            answer_unit(vm, argc, removed)
        }
        P::PathListDirectory => {
            let path = path_arg(vm, argc, 0)?;
            let listed = std::fs::read_dir(&path).and_then(|entries| {
                let mut names = Vec::new();
                for entry in entries {
                    names.push(entry?.file_name().to_string_lossy().into_owned());
                }
                names.sort();
                Ok(names)
            });
            match listed {
                Ok(names) => {
                    let array = vm.mem.string_array(&names)?;
                    answer(vm, argc, array)
                }
                Err(e) => answer_error(vm, argc, &e),
            }
        }
        P::PathRename => {
            let from = path_arg(vm, argc, 0)?;
            let to = path_arg(vm, argc, 1)?;
            answer_unit(vm, argc, std::fs::rename(&from, &to))
        }
        P::PathCopyFile => {
            let from = path_arg(vm, argc, 0)?;
            let to = path_arg(vm, argc, 1)?;
            answer_unit(vm, argc, std::fs::copy(&from, &to).map(|_| ()))
        }
        P::WorkingDirectory => match std::env::current_dir() {
            Ok(dir) => {
                let text = vm.mem.new_string(&dir.to_string_lossy())?;
                answer(vm, argc, text)
            }
            Err(e) => answer_error(vm, argc, &e),
        },
        P::StdinNextLine => {
            vm.flush_stdout();
            let mut line = Vec::new();
            match io::stdin().lock().read_until(b'\n', &mut line) {
                Ok(0) => answer(vm, argc, vm.mem.nil()),
                Ok(_) => {
                    if line.last() == Some(&b'\n') {
                        line.pop();
                        if line.last() == Some(&b'\r') {
                            line.pop();
                        }
                    }
                    let text = vm.mem.new_string(&String::from_utf8_lossy(&line))?;
                    answer(vm, argc, text)
                }
                Err(e) => answer_error(vm, argc, &e),
            }
        }
        P::StdinRead => {
            let max = arg(vm, argc, 0).to_small_integer().ok_or(PrimError::Fail)?;
            require(max > 0)?;
            let max = max.clamp(4, MAX_READ) as usize;
            vm.flush_stdout();
            let stdin = io::stdin();
            let mut lock = stdin.lock();
            let read = lock.fill_buf().map(|available| {
                let n = available.len().min(max);
                available[..n].to_vec()
            });
            match read {
                Ok(mut bytes) => {
                    lock.consume(bytes.len());
                    complete_last_character(&mut lock, &mut bytes);
                    drop(lock);
                    let text = vm.mem.new_string(&String::from_utf8_lossy(&bytes))?;
                    answer(vm, argc, text)
                }
                Err(e) => {
                    drop(lock);
                    answer_error(vm, argc, &e)
                }
            }
        }
        P::StdinAtEnd => {
            vm.flush_stdout();
            let at_end = io::stdin().lock().fill_buf().map_or(true, |b| b.is_empty());
            answer(vm, argc, vm.mem.boolean(at_end))
        }
        P::StringUtf8Encoded => {
            let text = receiver_string(vm, argc)?;
            let bytes = vm.mem.new_bytes(KnownClass::ByteArray, text.as_bytes())?;
            answer(vm, argc, bytes)
        }
        P::ByteArrayUtf8Decoded => {
            let bytes = super::receiver(vm, argc);
            require(vm.mem.is_instance_of(bytes, KnownClass::ByteArray))?;
            let text = String::from_utf8_lossy(vm.mem.heap.bytes(bytes)).into_owned();
            let string = vm.mem.new_string(&text)?;
            answer(vm, argc, string)
        }
        _ => Err(PrimError::Fail),
    }
}

/// Runs `f` on the file behind `handle` if this session opened it; None if not.
fn with_file<T>(vm: &mut Vm, handle: i64, f: impl FnOnce(&mut File) -> io::Result<T>) -> Option<io::Result<T>> {
    let session = vm.session_id;
    let open = vm.open_files.files.get_mut(&handle).filter(|open| open.session == session)?;
    Some(f(&mut open.file))
}

/// Reads what one `read` gives, retrying when interrupted by a signal.
fn read_some(file: &mut File, buffer: &mut [u8]) -> io::Result<usize> {
    loop {
        match file.read(buffer) {
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            other => return other,
        }
    }
}

/// How many more bytes the UTF-8 sequence that `bytes` ends with needs.
fn missing_continuation_bytes(bytes: &[u8]) -> usize {
    for back in 1..=bytes.len().min(4) {
        let byte = bytes[bytes.len() - back];
        if byte & 0xC0 == 0x80 {
            continue;
        }
        let length: usize = match byte {
            0xF0.. => 4,
            0xE0.. => 3,
            0xC0.. => 2,
            _ => 1,
        };
        return length.saturating_sub(back);
    }
    0
}

/// Reads the rest of a character cut by the end of a chunk, so that every
/// chunk decodes whole; at the end of the input the cut remains and
/// decodes as U+FFFD.
fn complete_last_character(source: &mut impl Read, bytes: &mut Vec<u8>) {
    let missing = missing_continuation_bytes(bytes);
    if missing > 0 {
        let mut rest = [0u8; 3];
        if source.read_exact(&mut rest[..missing]).is_ok() {
            bytes.extend_from_slice(&rest[..missing]);
        }
    }
}

fn path_arg(vm: &Vm, argc: usize, i: usize) -> Result<String, PrimError> {
    let oop = arg(vm, argc, i);
    require(!vm.mem.is_instance_of(oop, KnownClass::ByteArray))?;
    let path = vm.mem.string_value(oop).ok_or(PrimError::Fail)?;
    require(!path.is_empty() && !path.contains('\0'))?;
    Ok(path)
}

fn handle_arg(vm: &Vm, argc: usize) -> Result<i64, PrimError> {
    arg(vm, argc, 0).to_small_integer().ok_or(PrimError::Fail)
}

fn receiver_string(vm: &Vm, argc: usize) -> Result<String, PrimError> {
    let oop = super::receiver(vm, argc);
    require(vm.mem.is_string_like(oop))?;
    vm.mem.string_value(oop).ok_or(PrimError::Fail)
}

/// The reason an operation failed, as the OS tells it, without Rust's
/// "(os error N)" suffix.
fn reason(error: &io::Error) -> String {
    let text = error.to_string();
    match text.find(" (os error") {
        Some(i) => text[..i].to_string(),
        None => text,
    }
}

fn answer_error(vm: &mut Vm, argc: usize, error: &io::Error) -> PrimResult {
    let text = reason(error);
    answer_code(vm, argc, ErrorCode::of(error), &text)
}

fn answer_stale(vm: &mut Vm, argc: usize) -> PrimResult {
    answer_code(vm, argc, ErrorCode::StaleHandle, "the file is not open in this session")
}

fn answer_code(vm: &mut Vm, argc: usize, code: ErrorCode, text: &str) -> PrimResult {
    let message = vm.mem.new_string(text)?;
    let pair = vm.mem.new_array_from(&[Oop::small_integer(code as i64), message])?;
    answer(vm, argc, pair)
}

fn answer_unit(vm: &mut Vm, argc: usize, result: io::Result<()>) -> PrimResult {
    match result {
        Ok(()) => answer(vm, argc, vm.mem.nil()),
        Err(e) => answer_error(vm, argc, &e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cut_character_is_found_at_the_end_of_a_chunk() {
        let text = "aé€😀".as_bytes();
        assert_eq!(missing_continuation_bytes(text), 0);
        assert_eq!(missing_continuation_bytes(&text[..2]), 1); // "a" + first byte of é
        assert_eq!(missing_continuation_bytes(&text[..4]), 2); // ... + first byte of €
        assert_eq!(missing_continuation_bytes(&text[..7]), 3); // ... + first byte of 😀
        assert_eq!(missing_continuation_bytes(&text[..9]), 1);
        assert_eq!(missing_continuation_bytes(b""), 0);
    }

    #[test]
    fn a_chunk_is_completed_from_its_source() {
        let text = "x€y".as_bytes();
        let mut chunk = text[..2].to_vec();
        let mut rest = &text[2..];
        complete_last_character(&mut rest, &mut chunk);
        assert_eq!(chunk, "x€".as_bytes());
        assert_eq!(rest, b"y");
    }

    #[test]
    fn os_errors_have_codes() {
        let missing = std::fs::read("/nonexistent/smalt/test").expect_err("no such file");
        assert_eq!(ErrorCode::of(&missing), ErrorCode::DoesNotExist);
        assert_eq!(reason(&missing), "No such file or directory");
    }
}
