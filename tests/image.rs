//! Images end to end, through the real `smalt` binary: saving mid-program
//! and resuming, saving at top level, fidelity, save failures, a kill -9
//! during saves, and every kind of bad image file.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use tempfile::TempDir;

fn smalt() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_smalt"));
    command.env_remove("SMALT_GC_STRESS").stdin(Stdio::null());
    command
}

/// Runs smalt with these arguments in `dir`, with no stdin.
fn run_in(dir: &Path, args: &[&str]) -> Output {
    smalt().current_dir(dir).args(args).output().expect("smalt runs")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    fs::write(&path, text).expect("temp dir is writable");
    path
}

/// A fresh image of the built-in world with nothing added.
fn world_image(dir: &Path, name: &str) -> PathBuf {
    let o = run_in(dir, &["-e", "nil", "--save", name]);
    assert!(o.status.success(), "saving a world failed: {}", stderr(&o));
    dir.join(name)
}

#[test]
fn an_image_saved_mid_program_resumes_it_with_new_arguments_and_exit_status() {
    let dir = TempDir::new().expect("a temporary directory");
    write(
        dir.path(),
        "app.st",
        "| x resumed |\n\
         x := 41.\n\
         resumed := Smalltalk saveImage: 'app.image'.\n\
         x := x + 1.\n\
         x printNl.\n\
         resumed printNl.\n\
         Smalltalk arguments printNl.\n\
         'after the statements' displayNl.\n\
         resumed ifTrue: [Smalltalk exit: 3]\n\
         !\n\
         'a later item of the file' displayNl.\n",
    );
    let first = run_in(dir.path(), &["app.st", "one"]);
    assert_eq!(stdout(&first), "42\nfalse\n#('one')\nafter the statements\na later item of the file\n");
    assert!(first.status.success(), "{}", stderr(&first));

    let resumed = run_in(dir.path(), &["app.image", "two", "three four", ""]);
    assert_eq!(stdout(&resumed), "42\ntrue\n#('two' 'three four' '')\nafter the statements\n");
    assert_eq!(resumed.status.code(), Some(3), "{}", stderr(&resumed));

    // -i IMAGE is the same as naming the image.
    let again = run_in(dir.path(), &["-i", "app.image"]);
    assert_eq!(stdout(&again), "42\ntrue\n#()\nafter the statements\n");
}

#[test]
fn an_image_saved_mid_program_runs_the_rest_of_its_file() {
    let dir = TempDir::new().expect("a temporary directory");
    write(
        dir.path(),
        "app.st",
        "Smalltalk saveImage: 'app.image'.\n\
         !\n\
         Object subclass: Later [ greet [ ^'defined after the save' ] ]\n\
         Later new greet displayNl.\n",
    );
    let first = run_in(dir.path(), &["app.st"]);
    assert_eq!(stdout(&first), "defined after the save\n");
    let resumed = run_in(dir.path(), &["app.image"]);
    assert_eq!(stdout(&resumed), "defined after the save\n");
    assert!(resumed.status.success(), "{}", stderr(&resumed));
}

#[test]
fn an_image_saved_at_top_level_runs_what_the_new_command_line_asks() {
    let dir = TempDir::new().expect("a temporary directory");
    write(dir.path(), "lib.st", "Object subclass: Counter [ | n | next [ ^n := (n ifNil: [0]) + 1 ] ]\nSmalltalk at: #Shared put: Counter new.\nShared next.\n");
    let o = run_in(dir.path(), &["lib.st", "--save", "lib.image"]);
    assert!(o.status.success(), "{}", stderr(&o));

    let e = run_in(dir.path(), &["-i", "lib.image", "-e", "Shared next"]);
    assert_eq!(stdout(&e), "2\n");
    write(dir.path(), "use.st", "Shared next printNl.\nSmalltalk arguments printNl.\n");
    let f = run_in(dir.path(), &["-i", "lib.image", "use.st", "x"]);
    assert_eq!(stdout(&f), "2\n#('x')\n");
    // With no file and stdin not a terminal, the program comes from stdin.
    let mut child = smalt()
        .current_dir(dir.path())
        .arg("lib.image")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("smalt starts");
    child.stdin.take().expect("stdin is piped").write_all(b"Shared next printNl.\n").expect("stdin is written");
    let piped = child.wait_with_output().expect("smalt finishes");
    assert_eq!(stdout(&piped), "2\n");
}

#[test]
fn start_up_and_shut_down_lists_are_told_in_order() {
    let dir = TempDir::new().expect("a temporary directory");
    write(
        dir.path(),
        "app.st",
        "Object subclass: Watcher [\n\
           | name |\n\
           name: s [ name := s ]\n\
           startUp: booting [ Transcript showCr: name , ' startUp: ' , booting printString ]\n\
           shutDown: quitting [ Transcript showCr: name , ' shutDown: ' , quitting printString ]\n\
         ]\n\
         Smalltalk addToStartUpList: (Watcher new name: 'a'); addToShutDownList: (Watcher new name: 'a').\n\
         Smalltalk addToStartUpList: (Watcher new name: 'b'); addToShutDownList: (Watcher new name: 'b').\n\
         (Smalltalk saveImage: 'app.image') printNl.\n",
    );
    let first = run_in(dir.path(), &["app.st"]);
    assert_eq!(stdout(&first), "b shutDown: false\na shutDown: false\na startUp: false\nb startUp: false\nfalse\n");
    let resumed = run_in(dir.path(), &["app.image"]);
    assert_eq!(stdout(&resumed), "a startUp: true\nb startUp: true\ntrue\n");
    // --save tells the shut-down list that the process is quitting. (The
    // resumed program runs instead of -e.)
    let top = run_in(dir.path(), &["-i", "app.image", "-e", "3", "--save", "top.image"]);
    assert_eq!(stdout(&top), "a startUp: true\nb startUp: true\ntrue\nb shutDown: true\na shutDown: true\n");
    let top = run_in(dir.path(), &["-i", "top.image", "-e", "4", "--save", "top2.image"]);
    assert_eq!(stdout(&top), "a startUp: true\nb startUp: true\n4\nb shutDown: true\na shutDown: true\n");
}

#[test]
fn the_session_id_changes_with_every_boot() {
    let dir = TempDir::new().expect("a temporary directory");
    write(
        dir.path(),
        "app.st",
        "| before |\n\
         before := Smalltalk sessionId.\n\
         (Smalltalk saveImage: 'app.image')\n\
             ifTrue: [(before = Smalltalk sessionId) printNl]\n\
             ifFalse: [(before = Smalltalk sessionId) printNl].\n",
    );
    assert_eq!(stdout(&run_in(dir.path(), &["app.st"])), "true\n");
    assert_eq!(stdout(&run_in(dir.path(), &["app.image"])), "false\n");
}

#[test]
fn identity_classes_symbols_and_hashes_survive_a_save() {
    let dir = TempDir::new().expect("a temporary directory");
    write(
        dir.path(),
        "app.st",
        "Object subclass: Thing [ ]\n\
         | t hash sym set d |\n\
         t := Thing new.\n\
         hash := t identityHash.\n\
         sym := #someSymbolMadeBeforeTheSave.\n\
         set := IdentitySet new. set add: t.\n\
         d := Dictionary new. d at: 'key' put: t; at: 3/4 put: 'fraction'.\n\
         Smalltalk at: #Kept put: t.\n\
         Smalltalk saveImage: 'app.image'.\n\
         (t identityHash = hash) printNl.\n\
         (t == Kept) printNl.\n\
         (t class == Thing) printNl.\n\
         (t class == (Smalltalk at: #Thing)) printNl.\n\
         (sym == 'someSymbolMadeBeforeTheSave' asSymbol) printNl.\n\
         (set includes: t) printNl.\n\
         ((d at: 'key') == t) printNl.\n\
         (d at: 3/4) printNl.\n\
         (100 factorial / 98 factorial) printNl.\n",
    );
    let expected = "true\ntrue\ntrue\ntrue\ntrue\ntrue\ntrue\n'fraction'\n9900\n";
    assert_eq!(stdout(&run_in(dir.path(), &["app.st"])), expected);
    let resumed = run_in(dir.path(), &["app.image"]);
    assert_eq!(stdout(&resumed), expected, "{}", stderr(&resumed));
}

/// Immediate Floats in slots, boxed ones beside them, and both as hashed
/// keys come back from an image as they were saved.
#[test]
fn immediate_and_boxed_floats_survive_a_save() {
    let dir = TempDir::new().expect("a temp dir");
    write(
        dir.path(),
        "app.st",
        "Object subclass: FloatHolder [ half [ ^0.5 ] huge [ ^1.0e300 ] ]\n\
         | floats set d third huge hash |\n\
         third := (1 / 3) asFloat.\n\
         huge := 1.0e300 * 3.0.\n\
         hash := huge identityHash.\n\
         floats := Array with: 1.5 with: -0.0 with: third with: huge with: Float nan.\n\
         floats := floats , (Array with: Float infinity with: (1.0 timesTwoPower: -1070) with: Float pi).\n\
         set := Set withAll: floats.\n\
         d := Dictionary new. d at: 2.5 put: #immediate; at: huge put: #boxed.\n\
         Smalltalk at: #KeptFloats put: floats.\n\
         Smalltalk saveImage: 'app.image'.\n\
         KeptFloats printNl.\n\
         ((KeptFloats at: 3) == (1 / 3) asFloat) printNl.\n\
         ((KeptFloats at: 1) == (0.5 + 1.0)) printNl.\n\
         ((KeptFloats at: 4) == huge and: [huge identityHash = hash]) printNl.\n\
         ((KeptFloats at: 4) = (1.0e300 * 3.0)) printNl.\n\
         ((set includes: 1.5) & (set includes: 1.0e300 * 3.0) & (set includes: Float infinity)) printNl.\n\
         ((d at: 5 / 2.0) , ' ' , (d at: 3.0e300)) displayNl.\n\
         (FloatHolder new half == (1 / 2) asFloat) printNl.\n\
         (FloatHolder new huge * 2) printNl.\n",
    );
    let expected = "{1.5. -0.0. 0.3333333333333333. 3.0e300. Float nan. Float infinity. 8.0e-323. \
                    3.141592653589793}\ntrue\ntrue\ntrue\ntrue\ntrue\nimmediate boxed\ntrue\n2.0e300\n";
    assert_eq!(stdout(&run_in(dir.path(), &["app.st"])), expected);
    let resumed = run_in(dir.path(), &["app.image"]);
    assert_eq!(stdout(&resumed), expected, "{}", stderr(&resumed));
}

/// A deterministic program saved at any point and resumed prints exactly
/// what it prints when it runs without interruption.
#[test]
fn a_program_saved_at_any_point_prints_what_it_prints_uninterrupted() {
    let dir = TempDir::new().expect("a temporary directory");
    let program = |save_at: i64| {
        format!(
            "| fib acc oc |\n\
             fib := nil.\n\
             fib := [:n | n < 2 ifTrue: [n] ifFalse: [(fib value: n - 1) + (fib value: n - 2)]].\n\
             acc := WriteStream on: String new.\n\
             oc := OrderedCollection new.\n\
             1 to: 12 do: [:i |\n\
                 i = {save_at} ifTrue: [Smalltalk saveImage: 'p.image'].\n\
                 oc add: (fib value: i).\n\
                 [i odd ifTrue: [Error signal: 'odd']] on: Error do: [:e | acc nextPutAll: e messageText].\n\
                 [acc print: i] ensure: [acc space].\n\
                 (fib value: i) printNl].\n\
             acc contents displayNl.\n\
             (oc inject: 0 into: [:a :b | a + b]) printNl.\n"
        )
    };
    write(dir.path(), "plain.st", &program(0));
    let plain = stdout(&run_in(dir.path(), &["plain.st"]));
    assert!(plain.starts_with("1\n1\n2\n3\n5\n"), "{plain}");
    for save_at in [1, 5, 12] {
        write(dir.path(), "p.st", &program(save_at));
        let first = run_in(dir.path(), &["p.st"]);
        assert_eq!(stdout(&first), plain, "the saving run, saved at {save_at}");
        let resumed = stdout(&run_in(dir.path(), &["p.image"]));
        // The resumed run prints what came after the save.
        let skipped: usize = plain.lines().take(save_at as usize - 1).map(|l| l.len() + 1).sum();
        assert_eq!(resumed, plain[skipped..], "resumed after a save at {save_at}");
    }
}

/// Save, boot, save again: the same bytes but for the save time and the
/// header checksum that covers it.
#[test]
fn save_boot_save_gives_the_same_bytes_but_for_the_timestamp() {
    let dir = TempDir::new().expect("a temporary directory");
    let a = world_image(dir.path(), "a.image");
    let o = run_in(dir.path(), &["-i", "a.image", "-e", "nil", "--save", "b.image"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let (a, b) =
        (fs::read(a).expect("the file is read"), fs::read(dir.path().join("b.image")).expect("the file is read"));
    assert_eq!(a.len(), b.len());
    let differing: Vec<usize> = (0..a.len()).filter(|&i| a[i] != b[i]).collect();
    assert!(
        differing.iter().all(|&i| (56..64).contains(&i) || (112..116).contains(&i)),
        "bytes differ outside the timestamp and header checksum: {:?}",
        &differing[..differing.len().min(20)]
    );
}

#[test]
fn saving_over_the_image_the_process_was_booted_from_works() {
    let dir = TempDir::new().expect("a temporary directory");
    world_image(dir.path(), "w.image");
    let o = run_in(dir.path(), &["-i", "w.image", "-e", "Smalltalk at: #Mark put: 7", "--save", "w.image"]);
    assert!(o.status.success(), "{}", stderr(&o));
    // Resaving mid-program over the booted file, several times.
    write(dir.path(), "again.st", "1 to: 3 do: [:i | Smalltalk saveImage: 'w.image']. Mark printNl.\n");
    let o = run_in(dir.path(), &["-i", "w.image", "again.st"]);
    assert_eq!(stdout(&o), "7\n", "{}", stderr(&o));
    let verify = run_in(dir.path(), &["image", "verify", "w.image"]);
    assert!(verify.status.success(), "{}", stderr(&verify));
    assert_eq!(stdout(&run_in(dir.path(), &["-i", "w.image", "-e", "Mark"])), "7\n");
}

#[test]
fn a_failed_save_names_the_path_and_the_reason_and_the_program_goes_on() {
    let dir = TempDir::new().expect("a temporary directory");
    let old = world_image(dir.path(), "old.image");
    let before = fs::read(&old).expect("the file is read");
    fs::create_dir(dir.path().join("a-directory")).expect("the directory is made");
    write(dir.path(), "plain-file", "not a directory\n");
    write(
        dir.path(),
        "app.st",
        "#('no/such/dir/x.image' 'a-directory' 'plain-file/x.image') do: [:path |\n\
             [Smalltalk saveImage: path] on: ImageSaveError do: [:e | e messageText displayNl]].\n\
         'still running' displayNl.\n",
    );
    let o = run_in(dir.path(), &["-i", "old.image", "app.st"]);
    let out = stdout(&o);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 4, "{out}{}", stderr(&o));
    assert!(lines[0].contains("no/such/dir/x.image") && lines[0].contains("No such file or directory"), "{out}");
    assert!(lines[1].contains("a-directory") && lines[1].to_lowercase().contains("directory"), "{out}");
    assert!(lines[2].contains("plain-file/x.image") && lines[2].contains("Not a directory"), "{out}");
    assert_eq!(lines[3], "still running");
    assert!(o.status.success());
    assert_eq!(fs::read(&old).expect("the file is read"), before, "the booted image was touched");
    assert!(dir.path().join("a-directory").is_dir());
    // No temporary files are left behind.
    let leftovers: Vec<String> = fs::read_dir(dir.path())
        .expect("the directory is read")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains("saving"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");

    // --save reports it and exits non-zero.
    let o = run_in(dir.path(), &["-e", "3", "--save", "no/such/dir/y.image"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("no/such/dir/y.image"), "{}", stderr(&o));
}

/// Killing the process at any moment of a save leaves the old image or the
/// new one, complete.
#[test]
fn kill_dash_nine_during_saves_never_leaves_a_broken_image() {
    let dir = TempDir::new().expect("a temporary directory");
    let base = world_image(dir.path(), "base.image");
    fs::copy(&base, dir.path().join("w.image")).expect("the file is copied");
    write(
        dir.path(),
        "saver.st",
        "| junk |\n\
         junk := OrderedCollection new.\n\
         1 to: 100000 do: [:i |\n\
             junk add: (Array new: 100 withAll: i).\n\
             Smalltalk at: #Generation put: i.\n\
             (Smalltalk saveImage: 'w.image') ifTrue: [Generation printNl. Smalltalk exit: 0]].\n",
    );
    let mut generations = Vec::new();
    for round in 0..12u64 {
        let mut child = smalt()
            .current_dir(dir.path())
            .args(["-i", "base.image", "saver.st"])
            .stdout(Stdio::null())
            .spawn()
            .expect("smalt starts");
        std::thread::sleep(Duration::from_millis(60 + round * 37 % 200));
        child.kill().expect("smalt is killed");
        child.wait().expect("smalt is reaped");
        let verify = run_in(dir.path(), &["image", "verify", "w.image"]);
        assert!(verify.status.success(), "round {round}: {}", stderr(&verify));
        // A resumed saver prints its generation and exits; the first image,
        // saved at top level, evaluates the expression instead.
        let o = run_in(dir.path(), &["-i", "w.image", "-e", "Smalltalk at: #Generation ifAbsent: [0]"]);
        assert!(o.status.success(), "round {round}: {}", stderr(&o));
        generations.push(stdout(&o));
    }
    // Left-over temporary files of killed savers are cleared by later saves.
    let leftovers = fs::read_dir(dir.path())
        .expect("the directory is read")
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().contains("saving"))
        .count();
    assert!(leftovers <= 1, "{leftovers} temporary files left");
    assert!(generations.iter().any(|g| g != "0\n"), "no save ever completed: {generations:?}");
    let distinct: std::collections::BTreeSet<&String> = generations.iter().collect();
    assert!(distinct.len() > 2, "the kills all fell at the same point: {generations:?}");
}

/// What booting a bad file must say: the path, and these words.
fn assert_refused(dir: &Path, file: &str, words: &[&str]) {
    for args in [vec![file], vec!["-i", file, "-e", "3"], vec!["image", "verify", file], vec!["image", "info", file]] {
        let started = Instant::now();
        let o = run_in(dir, &args);
        let err = stderr(&o);
        assert!(o.status.code().is_some_and(|c| c != 0), "{args:?}: status {:?}, stderr {err}", o.status);
        assert!(started.elapsed() < Duration::from_secs(20), "{args:?} took {:?}", started.elapsed());
        assert!(err.contains(file), "{args:?}: the message does not name {file}: {err}");
        for w in words {
            assert!(err.to_lowercase().contains(&w.to_lowercase()), "{args:?}: expected {w:?} in: {err}");
        }
        assert_eq!(err.lines().count(), 1, "{args:?}: one line expected: {err}");
        assert!(o.stdout.is_empty(), "{args:?}: {}", stdout(&o));
    }
}

/// Rewrites header bytes and makes the header checksum right again, so the
/// check that fires is the one for the field.
fn with_header_field(image: &[u8], offset: usize, bytes: &[u8]) -> Vec<u8> {
    let mut b = image.to_vec();
    b[offset..offset + bytes.len()].copy_from_slice(bytes);
    let crc = crc32c_of(&b[..112]);
    b[112..116].copy_from_slice(&crc.to_le_bytes());
    b
}

/// CRC-32C (Castagnoli), bitwise: a reference independent of the VM's.
fn crc32c_of(bytes: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &byte in bytes {
        crc ^= u32::from(byte);
        for _ in 0..8 {
            crc = if crc & 1 != 0 { (crc >> 1) ^ 0x82F6_3B78 } else { crc >> 1 };
        }
    }
    !crc
}

#[test]
fn every_kind_of_bad_image_gets_one_clear_message() {
    let dir = TempDir::new().expect("a temporary directory");
    let d = dir.path();
    let good = fs::read(world_image(d, "good.image")).expect("the file is read");
    let put = |name: &str, bytes: &[u8]| fs::write(d.join(name), bytes).expect("the file is written");

    assert_refused(d, "missing.image", &["No such file"]);
    fs::create_dir(d.join("dir.image")).expect("the directory is made");
    assert_refused(d, "dir.image", &["directory"]);
    put("empty.image", b"");
    assert_refused(d, "empty.image", &["not a Smalt image", "empty"]);
    put("text.image", b"Object subclass: Foo [ ]\n");
    assert_refused(d, "text.image", &["not a Smalt image"]);
    let mut random = Vec::new();
    let mut x = 0x2545_F491_4F6C_DD1Du64;
    for _ in 0..5000 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        random.push(x as u8);
    }
    random[0] = 0x17;
    put("random.image", &random);
    assert_refused(d, "random.image", &["not a Smalt image"]);
    let mut crlf = good.clone();
    crlf.remove(4);
    put("textmode.image", &crlf);
    assert_refused(d, "textmode.image", &["text"]);

    for cut in [3, 8, 60, 115, 116, 4096, 16384, 16385, good.len() / 2, good.len() - 1] {
        put("cut.image", &good[..cut]);
        assert_refused(d, "cut.image", &[]);
    }
    put("version.image", &with_header_field(&good, 8, &99u32.to_le_bytes()));
    assert_refused(d, "version.image", &["version", "99"]);
    // Version 1 had no immediate Floats: its boxed ones would break `==`.
    put("version1.image", &with_header_field(&good, 8, &1u32.to_le_bytes()));
    assert_refused(d, "version1.image", &["version 1", "reads version 2"]);
    put("order.image", &with_header_field(&good, 12, &0x0102_0304u32.to_be_bytes()));
    assert_refused(d, "order.image", &["byte order"]);
    put("word.image", &with_header_field(&good, 16, &4u32.to_le_bytes()));
    assert_refused(d, "word.image", &["word"]);
    put("build.image", &with_header_field(&good, 24, &0xDEAD_BEEFu64.to_le_bytes()));
    assert_refused(d, "build.image", &["VM"]);
    let mut unfinished = good.clone();
    unfinished[104..112].fill(0);
    put("unfinished.image", &unfinished);
    assert_refused(d, "unfinished.image", &["save"]);
    let mut header_flip = good.clone();
    header_flip[40] ^= 0x10;
    put("headerbit.image", &header_flip);
    assert_refused(d, "headerbit.image", &["checksum"]);
}

/// Bit positions to flip in a file of `len` bytes: every `step`th bit of
/// its first `head` bytes (the header), `samples` more spread over the
/// whole file by a fixed xorshift sequence, and the very last bit.
fn bits_to_flip(len: usize, head: usize, step: usize, samples: usize) -> Vec<usize> {
    let mut x = 0x9E37_79B9_7F4A_7C15u64;
    let mut positions: Vec<usize> = (0..head * 8).step_by(step).collect();
    for _ in 0..samples {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        positions.push((x % (len as u64 * 8)) as usize);
    }
    positions.push(len * 8 - 1);
    positions
}

/// `smalt image verify` catches a single flipped bit anywhere in the file;
/// booting catches it in the header.
#[test]
fn verify_catches_a_flipped_bit_anywhere() {
    let dir = TempDir::new().expect("a temporary directory");
    let good = fs::read(world_image(dir.path(), "good.image")).expect("the file is read");
    for bit in bits_to_flip(good.len(), 116, 13, 60) {
        let mut bad = good.clone();
        bad[bit / 8] ^= 1 << (bit % 8);
        fs::write(dir.path().join("bad.image"), &bad).expect("the file is written");
        let o = run_in(dir.path(), &["image", "verify", "bad.image"]);
        assert_eq!(o.status.code(), Some(1), "bit {bit} (byte {}) went unnoticed: {}", bit / 8, stdout(&o));
        assert!(stderr(&o).contains("bad.image"), "{}", stderr(&o));
    }
}

#[test]
fn image_info_prints_the_header_without_running_anything() {
    let dir = TempDir::new().expect("a temporary directory");
    world_image(dir.path(), "w.image");
    let o = run_in(dir.path(), &["image", "info", "w.image"]);
    assert!(o.status.success());
    let out = stdout(&o);
    for field in ["format version:   2", "kind:             full", "heap bytes:", "heap checksum:"] {
        assert!(out.contains(field), "{field} missing from:\n{out}");
    }
    let v = run_in(dir.path(), &["image", "verify", "w.image"]);
    assert!(stdout(&v).starts_with("w.image: ok ("), "{}", stdout(&v));
}

#[test]
fn build_world_writes_the_built_in_world() {
    let dir = TempDir::new().expect("a temporary directory");
    let o = run_in(dir.path(), &["build-world", "-o", "fresh.image"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(run_in(dir.path(), &["image", "verify", "fresh.image"]).status.success());
    assert_eq!(stdout(&run_in(dir.path(), &["-i", "fresh.image", "-e", "3 + 4"])), "7\n");
}

#[test]
fn a_bundle_runs_its_image_from_anywhere_with_its_arguments_untouched() {
    let dir = TempDir::new().expect("a temporary directory");
    write(
        dir.path(),
        "app.st",
        "(Smalltalk saveImage: 'app.image') ifTrue: [\n\
             Smalltalk arguments printNl.\n\
             Smalltalk exit: Smalltalk arguments size]\n",
    );
    assert!(run_in(dir.path(), &["app.st"]).status.success());
    let o = run_in(dir.path(), &["bundle", "app.image", "-o", "app"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let elsewhere = TempDir::new().expect("a temporary directory");
    let ran = Command::new(dir.path().join("app"))
        .current_dir(elsewhere.path())
        .args(["--help", "-e", "3 + 4", "two words", ""])
        .stdin(Stdio::null())
        .output()
        .expect("smalt runs");
    assert_eq!(stdout(&ran), "#('--help' '-e' '3 + 4' 'two words' '')\n", "{}", stderr(&ran));
    assert_eq!(ran.status.code(), Some(5));

    // Bundling a world saved at top level: the program comes from stdin.
    world_image(dir.path(), "world.image");
    assert!(run_in(dir.path(), &["bundle", "world.image", "-o", "world"]).status.success());
    let mut child = Command::new(dir.path().join("world"))
        .current_dir(elsewhere.path())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("smalt starts");
    child.stdin.take().expect("stdin is piped").write_all(b"(3 + 4) printNl.\n").expect("stdin is written");
    assert_eq!(stdout(&child.wait_with_output().expect("smalt finishes")), "7\n");
}

#[test]
fn bundling_refuses_what_is_not_an_image() {
    let dir = TempDir::new().expect("a temporary directory");
    write(dir.path(), "notes.image", "just text\n");
    let o = run_in(dir.path(), &["bundle", "notes.image", "-o", "app"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("notes.image") && stderr(&o).contains("not a Smalt image"), "{}", stderr(&o));
    assert!(!dir.path().join("app").exists());
    let o = run_in(dir.path(), &["bundle", "missing.image", "-o", "app"]);
    assert!(stderr(&o).contains("missing.image"), "{}", stderr(&o));
}

// ---------------------------------------------------------------------------
// Delta images

/// Runs smalt in `dir`, killing it (and failing the test) after `limit`:
/// a delta that boots wrongly could resume an endless program.
fn run_timed(dir: &Path, args: &[&str], limit: Duration) -> Output {
    use std::io::Read;
    let mut child =
        smalt().current_dir(dir).args(args).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().expect("smalt runs");
    let mut out = child.stdout.take().expect("piped");
    let mut err = child.stderr.take().expect("piped");
    let out_reader = std::thread::spawn(move || {
        let mut b = Vec::new();
        let _ = out.read_to_end(&mut b);
        b
    });
    let err_reader = std::thread::spawn(move || {
        let mut b = Vec::new();
        let _ = err.read_to_end(&mut b);
        b
    });
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        if started.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            panic!("smalt {args:?} ran longer than {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    Output { status, stdout: out_reader.join().unwrap_or_default(), stderr: err_reader.join().unwrap_or_default() }
}

/// `run_timed` with a limit generous for a debug build.
fn run_delta(dir: &Path, args: &[&str]) -> Output {
    run_timed(dir, args, Duration::from_secs(60))
}

fn must_run(dir: &Path, args: &[&str]) -> String {
    let o = run_delta(dir, args);
    assert!(o.status.success(), "smalt {args:?} failed: {}", stderr(&o));
    stdout(&o)
}

/// A base image written by `smalt build-world`.
fn built_world(dir: &Path, name: &str) -> PathBuf {
    must_run(dir, &["build-world", "-o", name]);
    dir.join(name)
}

fn file_len(path: &Path) -> u64 {
    fs::metadata(path).map(|m| m.len()).unwrap_or(0)
}

const COUNTER: &str = "Object subclass: Counter [ | n | next [ ^n := (n ifNil: [0]) + 1 ] ]\n\
                       Smalltalk at: #Shared put: Counter new.\n\
                       Shared next.\n";

#[test]
fn a_delta_saved_mid_program_boots_over_its_base_and_resumes() {
    let dir = TempDir::new().expect("a temporary directory");
    let d = dir.path();
    let base = built_world(d, "base.image");
    write(
        d,
        "app.st",
        &format!(
            "{COUNTER}| x resumed |\n\
             x := 41.\n\
             resumed := Smalltalk saveDelta: 'app.image'.\n\
             x := x + 1.\n\
             x printNl.\n\
             resumed printNl.\n\
             Shared next printNl.\n\
             Smalltalk arguments printNl.\n\
             resumed ifTrue: [Smalltalk exit: 3]\n\
             !\n\
             'a later item of the file' displayNl.\n"
        ),
    );
    let first = run_delta(d, &["-i", "base.image", "app.st", "one"]);
    assert_eq!(stdout(&first), "42\nfalse\n2\n#('one')\na later item of the file\n", "{}", stderr(&first));
    assert!(first.status.success());

    let resumed = run_delta(d, &["app.image", "two"]);
    assert_eq!(stdout(&resumed), "42\ntrue\n2\n#('two')\n", "{}", stderr(&resumed));
    assert_eq!(resumed.status.code(), Some(3), "{}", stderr(&resumed));
    let again = run_delta(d, &["-i", "app.image"]);
    assert_eq!(stdout(&again), "42\ntrue\n2\n#()\n");

    let info = must_run(d, &["image", "info", "app.image"]);
    for field in ["kind:             delta", "base image:       base.image", "changed pages:"] {
        assert!(info.contains(field), "{field} missing from:\n{info}");
    }
    let verify = must_run(d, &["image", "verify", "app.image"]);
    assert!(verify.contains("over base base.image"), "{verify}");
    let (delta, full) = (file_len(&d.join("app.image")), file_len(&base));
    assert!(delta * 8 < full, "a small change gave a delta of {delta} bytes over a base of {full}");
}

#[test]
fn save_delta_on_the_command_line_and_again_from_a_delta() {
    let dir = TempDir::new().expect("a temporary directory");
    let d = dir.path();
    built_world(d, "base.image");
    write(d, "lib.st", COUNTER);
    must_run(d, &["-i", "base.image", "lib.st", "--save-delta", "one.image"]);
    assert_eq!(must_run(d, &["-i", "one.image", "-e", "Shared next"]), "2\n");
    // A world booted from a delta saves its next delta over the same base:
    // there are no chains, so the first delta may go.
    write(d, "more.st", "Shared next. Object subclass: Later [ ]\n");
    must_run(d, &["-i", "one.image", "more.st", "--save-delta", "two.image"]);
    assert!(must_run(d, &["image", "info", "two.image"]).contains("base image:       base.image"));
    // Saving over the delta the world was booted from is fine too.
    must_run(d, &["-i", "one.image", "more.st", "--save-delta", "one.image"]);
    assert_eq!(must_run(d, &["-i", "one.image", "-e", "Shared next"]), "3\n");
    fs::remove_file(d.join("one.image")).expect("the file is removed");
    assert_eq!(must_run(d, &["-i", "two.image", "-e", "Shared next -> Later name"]), "3->#Later\n");
    // A full save from a delta gives an image that needs no base.
    must_run(d, &["-i", "two.image", "-e", "nil", "--save", "full.image"]);
    fs::remove_file(d.join("base.image")).expect("the file is removed");
    assert_eq!(must_run(d, &["-i", "full.image", "-e", "Shared next"]), "3\n");
}

#[test]
fn a_delta_moves_with_its_base_and_refuses_a_missing_or_different_one() {
    let dir = TempDir::new().expect("a temporary directory");
    let d = dir.path();
    built_world(d, "base.image");
    write(d, "lib.st", COUNTER);
    must_run(d, &["-i", "base.image", "lib.st", "--save-delta", "app.image"]);
    fs::create_dir(d.join("moved")).expect("the directory is made");
    fs::copy(d.join("base.image"), d.join("moved/base.image")).expect("the file is copied");
    fs::copy(d.join("app.image"), d.join("moved/app.image")).expect("the file is copied");
    assert_eq!(must_run(d, &["-i", "moved/app.image", "-e", "Shared next"]), "2\n");

    let refused = |args: &[&str], words: &[&str]| {
        let o = run_delta(d, args);
        let err = stderr(&o);
        assert!(o.status.code().is_some_and(|c| c != 0), "{args:?}: status {:?}", o.status);
        assert!(o.stdout.is_empty(), "{args:?}: {}", stdout(&o));
        assert_eq!(err.lines().count(), 1, "{args:?}: one line expected: {err}");
        for w in words {
            assert!(err.contains(w), "{args:?}: expected {w:?} in: {err}");
        }
    };
    fs::remove_file(d.join("moved/base.image")).expect("the file is removed");
    for args in
        [&["moved/app.image"][..], &["-i", "moved/app.image", "-e", "3"], &["image", "verify", "moved/app.image"]]
    {
        refused(args, &["moved/app.image", "moved/base.image", "No such file"]);
    }
    // Another base of the same name. (A world built again is the same
    // base: build-world writes the same bytes, so it would be accepted.)
    must_run(d, &["-e", "Smalltalk at: #Other put: 1", "--save", "moved/base.image"]);
    for args in [&["moved/app.image"][..], &["image", "verify", "moved/app.image"]] {
        refused(args, &["moved/app.image", "moved/base.image", "not the base it was saved over"]);
    }
    // A base elsewhere is named by its absolute path.
    fs::create_dir(d.join("elsewhere")).expect("the directory is made");
    must_run(d, &["-i", "base.image", "-e", "nil", "--save-delta", "elsewhere/far.image"]);
    let info = must_run(d, &["image", "info", "elsewhere/far.image"]);
    let absolute = fs::canonicalize(d.join("base.image")).expect("the path exists");
    assert!(info.contains(&format!("base image:       {}", absolute.display())), "{info}");
    assert_eq!(must_run(&d.join("elsewhere"), &["-i", "far.image", "-e", "3 + 4"]), "7\n");
}

#[test]
fn a_delta_needs_a_base_image_file() {
    let dir = TempDir::new().expect("a temporary directory");
    let d = dir.path();
    let o = run_delta(d, &["-e", "nil", "--save-delta", "x.image"]);
    assert_eq!(o.status.code(), Some(1));
    for w in ["x.image", "smalt build-world -o base.image"] {
        assert!(stderr(&o).contains(w), "expected {w:?} in: {}", stderr(&o));
    }
    let caught =
        must_run(d, &["-e", "[Smalltalk saveDelta: 'x.image'. 'saved'] on: ImageSaveError do: [:e | e messageText]"]);
    assert!(caught.contains("needs a base image file"), "{caught}");
    assert!(!d.join("x.image").exists());
    built_world(d, "base.image");
    let o = run_delta(d, &["-i", "base.image", "-e", "nil", "--save-delta", "base.image"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("base image"), "{}", stderr(&o));
    assert_eq!(must_run(d, &["-i", "base.image", "-e", "3 + 4"]), "7\n", "the base was harmed");
}

#[test]
fn a_damaged_delta_is_refused_and_verify_catches_any_flipped_bit() {
    let dir = TempDir::new().expect("a temporary directory");
    let d = dir.path();
    built_world(d, "base.image");
    write(d, "lib.st", COUNTER);
    must_run(d, &["-i", "base.image", "lib.st", "--save-delta", "good.image"]);
    let good = fs::read(d.join("good.image")).expect("the file is read");
    for cut in [60, 116, 200, 4096, 16384, 16385, good.len() - 4096, good.len() - 1] {
        fs::write(d.join("cut.image"), &good[..cut]).expect("the file is written");
        for args in [&["cut.image"][..], &["image", "verify", "cut.image"], &["image", "info", "cut.image"]] {
            let o = run_delta(d, args);
            assert_eq!(o.status.code(), Some(1), "cut at {cut}, {args:?}: {}", stdout(&o));
            assert!(stderr(&o).contains("cut.image"), "{}", stderr(&o));
            assert_eq!(stderr(&o).lines().count(), 1, "{}", stderr(&o));
        }
    }
    for bit in bits_to_flip(good.len(), 160, 11, 40) {
        let mut bad = good.clone();
        bad[bit / 8] ^= 1 << (bit % 8);
        fs::write(d.join("bad.image"), &bad).expect("the file is written");
        let o = run_delta(d, &["image", "verify", "bad.image"]);
        assert_eq!(o.status.code(), Some(1), "bit {bit} (byte {}) went unnoticed: {}", bit / 8, stdout(&o));
        assert!(stderr(&o).contains("bad.image"), "{}", stderr(&o));
    }
}

/// The measure: a small change over a ~100 MB base gives a delta
/// of well under 5 MB, even after full collections in the session (they
/// leave the base's objects where they are).
#[test]
fn a_small_change_over_a_100_mb_base_is_a_small_delta() {
    let dir = TempDir::new().expect("a temporary directory");
    let d = dir.path();
    must_run(
        d,
        &[
            "-e",
            "Smalltalk at: #Ballast put: ((1 to: 1000000) collect: [:i | Array new: 10]). nil",
            "--save",
            "big.image",
        ],
    );
    let base = file_len(&d.join("big.image"));
    assert!(base > 90 << 20, "the base is only {base} bytes");
    must_run(
        d,
        &[
            "-i",
            "big.image",
            "-e",
            "(Ballast at: 500000) at: 1 put: 'changed'. Smalltalk garbageCollect. \
             Smalltalk at: #Extra put: (1 to: 1000) asArray. Smalltalk garbageCollect. nil",
            "--save-delta",
            "small.image",
        ],
    );
    let delta = file_len(&d.join("small.image"));
    assert!(delta < 5 << 20, "a small change over {base} bytes gave a delta of {delta} bytes");
    assert!(delta < 256 << 10, "a small change over {base} bytes gave a delta of {delta} bytes");
    let o = must_run(d, &["-i", "small.image", "-e", "((Ballast at: 500000) at: 1) , Extra size printString"]);
    assert_eq!(o, "'changed1000'\n");
    assert!(must_run(d, &["image", "verify", "small.image"]).contains(": ok"));
}

#[test]
fn an_image_saved_in_the_middle_of_every_benchmark_boots_and_finishes_it() {
    // A process of higher priority saves the image 30 ms into each program,
    // at a size that runs for 100-400 ms: in a recursion without loops
    // (fib), arithmetic loops, polymorphic sends, allocation, handlers and
    // unwind blocks on the stack, block calls. The booted image goes on
    // from where the save found it and prints what the first run printed
    // after the save.
    let sizes = [
        ("binarytrees", "12"),
        ("collections", "200"),
        ("dict", "200000"),
        ("exceptions", "60000"),
        ("fib", "30"),
        ("json", "40"),
        ("loops", "2000"),
        ("nbody", "40000"),
        ("richards", "50"),
        ("sieve", "400000"),
        ("strings", "30000"),
    ];
    let dir = TempDir::new().expect("a temporary directory");
    let programs = Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/programs");
    let mut names: Vec<_> = fs::read_dir(&programs)
        .expect("benches/programs is readable")
        .filter_map(|e| e.ok()?.file_name().into_string().ok()?.strip_suffix(".st").map(str::to_owned))
        .collect();
    names.sort();
    assert_eq!(names, sizes.map(|(name, _)| name), "every benchmark needs a size here");
    for (name, size) in sizes {
        let source = fs::read_to_string(programs.join(format!("{name}.st"))).expect("the program reads");
        let saver = format!(
            "[(Delay forMilliseconds: 30) wait.\n\
             (Smalltalk saveImage: '{name}.image') ifTrue: ['booted' displayNl] ifFalse: ['saved' displayNl]]\n\
             forkAt: Processor userInterruptPriority.\n"
        );
        write(dir.path(), &format!("{name}.st"), &format!("{saver}{source}"));
        let first = run_in(dir.path(), &[&format!("{name}.st"), size]);
        assert!(first.status.success(), "{name}: {}", stderr(&first));
        let out = stdout(&first);
        let (_, rest) = out.split_once("saved\n").unwrap_or_else(|| panic!("{name} did not save: {out}"));
        assert!(!rest.is_empty(), "{name} finished before the save: {out}");
        let booted = run_in(dir.path(), &[&format!("{name}.image")]);
        assert!(booted.status.success(), "{name}: {}", stderr(&booted));
        assert_eq!(stdout(&booted), format!("booted\n{rest}"), "{name}");
    }
}
