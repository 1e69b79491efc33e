//! The host interface, run as real processes: standard input piped or
//! closed, standard error, `Smalltalk arguments`, environment variables,
//! exit statuses, the clocks, and files opened before an image save used
//! after the image is booted again. Files live in a temporary directory of
//! each test's own.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

fn smalt() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_smalt"));
    command.env_remove("SMALT_GC_STRESS");
    command
}

/// Writes `source` to `dir/name` and answers its path.
fn program(dir: &Path, name: &str, source: &str) -> std::path::PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, source).expect("the program is written");
    path
}

/// Runs the child to its end, killing it after `limit` so that a test
/// that would block fails instead of hanging.
fn finish(mut command: Command, stdin: Option<&[u8]>, limit: Duration) -> Output {
    command.stdout(Stdio::piped()).stderr(Stdio::piped());
    command.stdin(if stdin.is_some() { Stdio::piped() } else { Stdio::null() });
    let mut child = command.spawn().expect("smalt starts");
    if let Some(bytes) = stdin {
        let mut pipe = child.stdin.take().expect("stdin is piped");
        pipe.write_all(bytes).expect("stdin is written");
        // Dropping the pipe closes it: the program sees the end of its input.
    }
    let start = Instant::now();
    loop {
        if child.try_wait().expect("the child can be waited for").is_some() {
            break;
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            panic!("smalt did not finish within {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output().expect("the output is collected")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

const LIMIT: Duration = Duration::from_secs(60);

#[test]
fn stdin_is_read_by_line_and_by_character_and_ends_with_nil() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let source = "| line |
Stdin next printNl.
Stdin peek printNl.
Stdin nextLine printNl.
Stdin nextLine printNl.
(Stdin upTo: $|) printNl.
Stdin nextLine printNl.
Stdin atEnd printNl.
[(line := Stdin nextLine) notNil] whileTrue: [line size printNl].
Stdin atEnd printNl.
Stdin nextLine printNl.
Stdin next printNl.
Stdin upToEnd printNl.
";
    let path = program(dir.path(), "stdin.st", source);
    let mut command = smalt();
    command.arg(&path);
    let input = "héllo\r\nwörld €\nab|cd\nthree\n\nlast without newline".as_bytes();
    let out = finish(command, Some(input), LIMIT);
    assert_eq!(text(&out.stderr), "");
    assert_eq!(text(&out.stdout), "$h\n$é\n'éllo'\n'wörld €'\n'ab'\n'cd'\nfalse\n5\n0\n20\ntrue\nnil\nnil\n''\n");
    assert!(out.status.success());
}

#[test]
fn stdin_at_its_end_answers_nil_at_once() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let path = program(
        dir.path(),
        "empty.st",
        "Stdin atEnd printNl. Stdin nextLine printNl. Stdin next printNl. Stdin lines printNl. Stdin contents printNl.",
    );
    let mut command = smalt();
    command.arg(&path);
    let out = finish(command, None, Duration::from_secs(30));
    assert_eq!(text(&out.stdout), "true\nnil\nnil\n#()\n''\n");
    assert!(out.status.success());
}

#[test]
fn stdin_lines_can_be_read_whole_and_counted() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let path = program(
        dir.path(),
        "count.st",
        "| n | n := 0. Stdin linesDo: [:l | n := n + l size]. n printNl. Stdin nextLine printNl.",
    );
    let input: String = (1..=5000).map(|i| format!("{i}€\n")).collect();
    let expected: usize = (1..=5000).map(|i: i32| i.to_string().len() + 1).sum();
    let mut command = smalt();
    command.arg(&path);
    let out = finish(command, Some(input.as_bytes()), LIMIT);
    assert_eq!(text(&out.stdout), format!("{expected}\nnil\n"));
}

#[test]
fn stderr_and_stdout_streams_reach_their_own_descriptors() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let path = program(
        dir.path(),
        "streams.st",
        "Stdout nextPutAll: 'out 1'; nl.
Stderr nextPutAll: 'err ü'; nl.
Stdio stderr print: 42; nl.
Stdout nextPutAll: 'out 2'; nl.",
    );
    let mut command = smalt();
    command.arg(&path);
    let out = finish(command, None, LIMIT);
    assert_eq!(text(&out.stdout), "out 1\nout 2\n");
    assert_eq!(text(&out.stderr), "err ü\n42\n");
    assert!(out.status.success());
}

#[test]
fn arguments_and_environment_variables_reach_the_program() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let path = program(
        dir.path(),
        "args.st",
        "Smalltalk arguments printNl.
Smalltalk getArgc printNl.
(Smalltalk getArgv: 2) printNl.
(Smalltalk getenv: 'SMALT_HOST_TEST') printNl.
(Smalltalk os environment at: 'SMALT_HOST_TEST') printNl.
(OSEnvironment current at: 'SMALT_HOST_UNSET' ifAbsent: ['absent']) printNl.
(Smalltalk getenv: 'SMALT_HOST_UNSET') printNl.
[OSEnvironment current at: 'SMALT_HOST_UNSET'] on: KeyNotFound do: [:e | 'not found' printNl].",
    );
    let mut command = smalt();
    command.arg(&path).args(["one", "two words", "thrée"]);
    command.env("SMALT_HOST_TEST", "välue €").env_remove("SMALT_HOST_UNSET");
    let out = finish(command, None, LIMIT);
    assert_eq!(text(&out.stderr), "");
    assert_eq!(
        text(&out.stdout),
        "#('one' 'two words' 'thrée')\n3\n'two words'\n'välue €'\n'välue €'\n'absent'\nnil\n'not found'\n"
    );
}

#[test]
fn exit_ends_the_process_with_its_status_after_flushing_output() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let path = program(dir.path(), "exit.st", "Stdout nextPutAll: 'before'; nl. Smalltalk exit: 3. 'after' displayNl.");
    let mut command = smalt();
    command.arg(&path);
    let out = finish(command, None, LIMIT);
    assert_eq!(out.status.code(), Some(3));
    assert_eq!(text(&out.stdout), "before\n");

    let path = program(dir.path(), "exit0.st", "Smalltalk exit: 0. 'after' displayNl.");
    let mut command = smalt();
    command.arg(&path);
    let out = finish(command, None, LIMIT);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(text(&out.stdout), "");
}

#[test]
fn clocks_follow_the_host() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let path = program(
        dir.path(),
        "clocks.st",
        "| t0 t1 d |
t0 := Time millisecondClockValue.
d := DateAndTime now.
[Time millisecondClockValue - t0 < 30] whileTrue.
t1 := Time millisecondClockValue.
(t1 - t0 >= 30) printNl.
(d - DateAndTime epoch) asSeconds printNl.
(Time millisecondsToRun: [[Time millisecondClockValue - t1 < 20] whileTrue]) >= 20.
((Random seed: 7) next = (Random seed: 7) next) printNl.",
    );
    let before = SystemTime::now().duration_since(UNIX_EPOCH).expect("after 1970").as_secs() as i64;
    let mut command = smalt();
    command.arg(&path);
    let out = finish(command, None, LIMIT);
    let after = SystemTime::now().duration_since(UNIX_EPOCH).expect("after 1970").as_secs() as i64;
    let stdout = text(&out.stdout);
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 3, "output: {stdout}\nstderr: {}", text(&out.stderr));
    assert_eq!(lines[0], "true");
    let seconds: i64 = lines[1].parse().expect("seconds since the epoch");
    assert!(before - 1 <= seconds && seconds <= after + 1, "{before} <= {seconds} <= {after}");
    assert_eq!(lines[2], "true");
}

#[test]
fn a_file_opened_before_a_save_is_stale_after_the_boot() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let data = dir.path().join("data.txt");
    let image = dir.path().join("app.image");
    std::fs::write(&data, "first\nsecond\n").expect("the data is written");
    let source = format!(
        "| r w resumed |
r := FileStream readOnlyFileNamed: '{data}'.
r nextLine displayNl.
w := FileStream forceNewFileNamed: '{data}.out'.
w nextPutAll: 'written before the save'.
resumed := Smalltalk saveImage: '{image}'.
resumed
    ifTrue: [
        [r nextLine] on: StaleHandle do: [:e | ('resumed: ' , e messageText) displayNl].
        [w nextPutAll: 'x'] on: StaleHandle do: [:e | 'writes are refused too' displayNl].
        r close. w close.
        'closing is quiet' displayNl.
        (FileStream readOnlyFileNamed: '{data}' do: [:s | s upToEnd]) size printNl.
        Stdin nextLine printNl]
    ifFalse: [
        r nextLine displayNl.
        '{data}.out' asFileReference contents displayNl.
        r close. w close.
        'saved' displayNl].
",
        data = data.display(),
        image = image.display()
    );
    let path = program(dir.path(), "stale.st", &source);
    let mut command = smalt();
    command.arg(&path);
    let out = finish(command, None, LIMIT);
    assert_eq!(text(&out.stderr), "");
    assert_eq!(text(&out.stdout), "first\nsecond\nwritten before the save\nsaved\n");
    assert_eq!(std::fs::read_to_string(format!("{}.out", data.display())).expect("written"), "written before the save");

    let mut command = smalt();
    command.arg(&image);
    let out = finish(command, Some(b"typed after the boot\n"), LIMIT);
    assert_eq!(text(&out.stderr), "");
    let expected = format!(
        "resumed: '{}' was opened before the image was saved and booted again; open it anew\n\
         writes are refused too\nclosing is quiet\n13\n'typed after the boot'\n",
        data.display()
    );
    assert_eq!(text(&out.stdout), expected);
    assert!(out.status.success());
}

#[test]
fn an_unhandled_file_error_names_the_file_and_fails_the_program() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let missing = dir.path().join("missing.txt");
    let path = program(dir.path(), "missing.st", &format!("'{}' asFileReference contents.", missing.display()));
    let mut command = smalt();
    command.arg(&path);
    let out = finish(command, None, LIMIT);
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert!(
        stderr.starts_with(&format!(
            "FileDoesNotExist: cannot read '{}': No such file or directory\n",
            missing.display()
        )),
        "stderr: {stderr}"
    );
}

#[test]
fn a_file_without_permission_is_refused() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let locked = dir.path().join("locked.txt");
    std::fs::write(&locked, "secret").expect("written");
    let mut permissions = std::fs::metadata(&locked).expect("there").permissions();
    std::os::unix::fs::PermissionsExt::set_mode(&mut permissions, 0o000);
    std::fs::set_permissions(&locked, permissions).expect("permissions set");
    if std::fs::read(&locked).is_ok() {
        return; // Running as root: nothing is refused.
    }
    let path = program(
        dir.path(),
        "denied.st",
        &format!(
            "['{}' asFileReference contents] on: PermissionDenied do: [:e | e class printNl. e reason displayNl].",
            locked.display()
        ),
    );
    let mut command = smalt();
    command.arg(&path);
    let out = finish(command, None, LIMIT);
    assert_eq!(text(&out.stdout), "PermissionDenied\nPermission denied\n");
}

#[test]
fn stdin_answers_each_line_as_it_arrives_and_flushes_the_prompt() {
    use std::io::{BufRead, BufReader};
    use std::sync::mpsc;

    let dir = tempfile::tempdir().expect("a temporary directory");
    let path = program(
        dir.path(),
        "echo.st",
        "| line |
[Stdout nextPutAll: 'prompt> '. (line := Stdin nextLine) notNil]
    whileTrue: [Stdout nextPutAll: line asUppercase; nl].
Stdout nextPutAll: 'bye'; nl.",
    );
    let mut child = smalt()
        .arg(&path)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("smalt starts");
    let mut input = child.stdin.take().expect("stdin is piped");
    let output = child.stdout.take().expect("stdout is piped");
    // Lines (or a prompt waiting for input) come back through a channel,
    // so that a program that waits for more than it was given fails the test.
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut reader = BufReader::new(output);
        loop {
            let mut chunk = Vec::new();
            match reader.fill_buf() {
                Ok([]) | Err(_) => break,
                Ok(bytes) => chunk.extend_from_slice(bytes),
            }
            reader.consume(chunk.len());
            if tx.send(String::from_utf8_lossy(&chunk).into_owned()).is_err() {
                break;
            }
        }
    });
    let mut seen = String::new();
    let mut wait_for = |expected: &str| {
        let deadline = Instant::now() + LIMIT;
        while !seen.ends_with(expected) {
            let left = deadline.saturating_duration_since(Instant::now());
            match rx.recv_timeout(left) {
                Ok(chunk) => seen.push_str(&chunk),
                Err(_) => {
                    let _ = child.kill();
                    panic!("waited for {expected:?}; the program wrote {seen:?}");
                }
            }
        }
    };
    wait_for("prompt> ");
    input.write_all("héllo\n".as_bytes()).expect("written");
    input.flush().expect("flushed");
    wait_for("HÉLLO\nprompt> ");
    input.write_all(b"again\n").expect("written");
    input.flush().expect("flushed");
    wait_for("AGAIN\nprompt> ");
    drop(input);
    wait_for("bye\n");
    assert!(child.wait().expect("the child ends").success());
}
