//! Builds the world image from stdlib/ (a cold bootstrap) when smalt is
//! compiled, for `src/main.rs` to embed: `smalt` then boots a world without
//! compiling any source at start-up.

use std::env;
use std::path::PathBuf;

use smalt_vm::heap::HeapConfig;
use smalt_vm::{Vm, VmOptions};

fn main() {
    println!("cargo:rerun-if-changed=stdlib");
    println!("cargo:rerun-if-changed=build.rs");
    let out = PathBuf::from(env::var("OUT_DIR").expect("cargo sets OUT_DIR")).join("world.image");
    // Never under SMALT_GC_STRESS: the world is the same either way.
    let options = VmOptions { heap: HeapConfig::default(), ..VmOptions::default() };
    let mut vm = match Vm::bootstrap(options) {
        Ok(vm) => vm,
        Err(e) => panic!("the class library in stdlib/ does not load:\n{e}"),
    };
    if let Err(e) = vm.save_image(&out, false) {
        panic!("the built-in world could not be written: {e}");
    }
}
