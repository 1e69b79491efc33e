//! Real VM failures (not Smalltalk exceptions, which are signalled in the image).

use std::fmt;

/// A failure of the VM itself: the heap is exhausted, an invariant broke, or
/// the world is missing something it must have.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VmError {
    /// An allocation found no room even in old space.
    HeapExhausted { requested_slots: usize },
    /// Every class index is in use.
    ClassTableFull,
    /// A method needs more literals, stack or primitive number than a header can hold.
    CodeTooLarge { selector: String },
    /// The heap could not be set up.
    Heap(String),
    /// The world lacks something the VM needs, e.g. a method it sends on its own.
    Broken(String),
}

impl fmt::Display for VmError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            VmError::HeapExhausted { requested_slots } => write!(
                f,
                "the heap is exhausted: no room for an object of {requested_slots} slots; run with a larger --max-heap"
            ),
            VmError::ClassTableFull => write!(f, "the class table is full: no class index is free"),
            VmError::CodeTooLarge { selector } => write!(
                f,
                "method {selector} is too large: it needs more literals, stack or a higher primitive number than a method can hold; split it"
            ),
            VmError::Heap(message) => write!(f, "the heap could not be set up: {message}"),
            VmError::Broken(message) => write!(f, "the world is broken: {message}"),
        }
    }
}

impl std::error::Error for VmError {}
