//! The `smalt` command: a thin client of smalt-vm.

fn main() {}
