//! Compile errors: what was expected, what was found, and where.

use std::fmt;

/// One compile error with its position, ready to be shown to a person.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// What went wrong, naming what was expected and what was found,
    /// e.g. `expected ']' to close the block opened at 3:9, found end of input`.
    pub message: String,
    /// The file name or label the text came from (`Origin::name`).
    pub file: String,
    /// 1-based line, counted in that file.
    pub line: u32,
    /// 1-based column, in characters.
    pub column: u32,
    /// The whole source line the error is on, without its line terminator.
    pub source_line: String,
    /// How many characters the caret underline spans (at least 1).
    pub width: u32,
}

impl fmt::Display for Diagnostic {
    /// `file:line:col: message`, then the source line and a caret under the spot.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{}:{}:{}: {}", self.file, self.line, self.column, self.message)?;
        writeln!(f, "    {}", self.source_line)?;
        let pad: String = self
            .source_line
            .chars()
            .take(self.column.saturating_sub(1) as usize)
            .map(|c| if c == '\t' { '\t' } else { ' ' })
            .collect();
        write!(f, "    {}{}", pad, "^".repeat(self.width.max(1) as usize))
    }
}
