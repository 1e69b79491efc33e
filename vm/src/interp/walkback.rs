//! Walkbacks written by the VM itself, for stops that no Smalltalk code
//! reports (an interrupt): one line per frame, as the image's own walkbacks.

use super::Vm;
use crate::heap::Oop;
use crate::objects::layout::{code, context};
use crate::prims::control::current_line;

/// Frames shown before the rest are only counted.
const SHOWN_FRAMES: usize = 20;

impl Vm {
    /// The walkback lines of the active context's chain.
    pub(crate) fn walkback_lines(&mut self) -> Vec<String> {
        let nil = self.mem.nil();
        if self.ctx != nil {
            self.save_registers();
        }
        let mut lines = Vec::new();
        let mut total = 0;
        let mut c = self.ctx;
        while c != nil {
            total += 1;
            if lines.len() < SHOWN_FRAMES {
                lines.push(self.describe_frame(c));
            }
            c = self.sender_of(c);
        }
        if total > SHOWN_FRAMES {
            lines.push(format!("...and {} more frames", total - SHOWN_FRAMES));
        }
        lines
    }

    /// `Receiver(MethodClass)>>selector (file:line)`, `[] in ...` for blocks.
    pub(crate) fn describe_frame(&self, ctx: Oop) -> String {
        let heap = &self.mem.heap;
        let method = heap.fetch(ctx, context::METHOD);
        let receiver = heap.fetch(ctx, context::RECEIVER);
        let in_block = heap.fetch(ctx, context::CLOSURE) != self.mem.nil();
        let receiver_class = self.mem.class_name_of(receiver);
        let holder = self.method_class_of(method);
        let holder_name = self.mem.class_name(holder);
        let selector = self.mem.string_value(heap.fetch(method, code::SELECTOR)).unwrap_or_default();
        let who = if holder == self.mem.nil() || holder_name == receiver_class {
            receiver_class
        } else {
            format!("{receiver_class}({holder_name})")
        };
        let mut home = method;
        while self.mem.is_instance_of(home, crate::objects::layout::KnownClass::CompiledBlock) {
            home = heap.fetch(home, code::OUTER_CODE);
        }
        let props = heap.fetch(home, code::PROPERTIES);
        let file = if props.is_object() && props != self.mem.nil() && heap.num_slots(props) > 1 {
            self.mem.string_value(heap.fetch(props, 1)).unwrap_or_default()
        } else {
            String::new()
        };
        let line = current_line(self, ctx);
        let prefix = if in_block { "[] in " } else { "" };
        format!("{prefix}{who}>>{selector} ({file}:{line})")
    }

    /// Writes `title` and the walkback of the active context to stderr.
    pub(crate) fn write_walkback_to_stderr(&mut self, title: &str) {
        let mut text = format!("{title}\n");
        for line in self.walkback_lines() {
            text.push_str(&line);
            text.push('\n');
        }
        self.write_stderr(text.as_bytes());
    }
}
