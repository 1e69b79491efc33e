//! Embeds the class library: lists stdlib/*.st in load order (file name
//! order) into a generated table of (name, contents) pairs.

use std::env;
use std::fs;
use std::path::PathBuf;

fn main() {
    let manifest = PathBuf::from(env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    let stdlib = manifest.join("..").join("stdlib");
    println!("cargo:rerun-if-changed={}", stdlib.display());
    let mut files: Vec<PathBuf> =
        fs::read_dir(&stdlib).map(|dir| dir.filter_map(|e| e.ok().map(|e| e.path())).collect()).unwrap_or_default();
    files.retain(|p| p.extension().is_some_and(|e| e == "st"));
    files.sort();
    let mut out =
        String::from("/// The class library's source files, in load order.\npub const STDLIB: &[(&str, &str)] = &[\n");
    for file in &files {
        println!("cargo:rerun-if-changed={}", file.display());
        let name = file.file_name().and_then(|n| n.to_str()).unwrap_or_default();
        let path = fs::canonicalize(file).unwrap_or_else(|_| file.clone());
        out.push_str(&format!("    (\"stdlib/{name}\", include_str!({:?})),\n", path.display().to_string()));
    }
    out.push_str("];\n");
    let dest = PathBuf::from(env::var("OUT_DIR").expect("cargo sets OUT_DIR")).join("stdlib_files.rs");
    fs::write(dest, out).expect("OUT_DIR is writable");
}
