//! Byte offsets in a piece of source text to file lines and columns.
//!
//! Text handed to the compiler may start in the middle of a file (a method
//! in a class body, a REPL line); [`Origin`] says where, and every position
//! reported — diagnostics and line tables — is counted in that file.

use crate::ast::Span;
use crate::code::Origin;
use crate::diagnostic::Diagnostic;

/// A text with its line starts, for turning offsets into positions.
#[derive(Debug)]
pub struct SourceMap<'s> {
    pub text: &'s str,
    pub origin: &'s Origin,
    line_starts: Vec<usize>,
}

impl<'s> SourceMap<'s> {
    pub fn new(text: &'s str, origin: &'s Origin) -> SourceMap<'s> {
        let mut line_starts = vec![0];
        line_starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        SourceMap { text, origin, line_starts }
    }

    /// The 0-based line within the text holding `offset`.
    fn local_line(&self, offset: usize) -> usize {
        match self.line_starts.binary_search(&offset) {
            Ok(i) => i,
            Err(i) => i.saturating_sub(1),
        }
    }

    /// The file line (1-based) holding `offset`.
    pub fn line(&self, offset: usize) -> u32 {
        self.origin.first_line.max(1) + self.local_line(offset) as u32
    }

    /// The file line and column (both 1-based, the column in characters).
    pub fn line_col(&self, offset: usize) -> (u32, u32) {
        let offset = self.clamp(offset);
        let local = self.local_line(offset);
        let start = self.line_starts[local];
        let col = self.text.get(start..offset).map_or(0, |s| s.chars().count()) as u32 + 1;
        let col = if local == 0 { col + self.origin.first_column.max(1) - 1 } else { col };
        (self.origin.first_line.max(1) + local as u32, col)
    }

    /// `line:col` of `offset`, for messages that point elsewhere.
    pub fn position(&self, offset: usize) -> String {
        let (l, c) = self.line_col(offset);
        format!("{l}:{c}")
    }

    fn clamp(&self, offset: usize) -> usize {
        let mut o = offset.min(self.text.len());
        while !self.text.is_char_boundary(o) {
            o -= 1;
        }
        o
    }

    /// A diagnostic pointing at `span`.
    pub fn diagnostic(&self, span: Span, message: impl Into<String>) -> Diagnostic {
        let start = self.clamp(span.start);
        let local = self.local_line(start);
        let line_start = self.line_starts[local];
        let line_end = self.text[line_start..].find('\n').map_or(self.text.len(), |i| line_start + i);
        let raw_line = &self.text[line_start..line_end];
        let raw_line = raw_line.strip_suffix('\r').unwrap_or(raw_line);
        let (line, column) = self.line_col(start);
        let end = self.clamp(span.end.max(start)).min(line_start + raw_line.len()).max(start);
        let width = self.text[start..end].chars().count().max(1) as u32;
        // The source line is shown as it stands in the file: on the text's
        // first line, pad for the columns before the text began.
        let source_line = if local == 0 && self.origin.first_column > 1 {
            format!("{}{}", " ".repeat(self.origin.first_column as usize - 1), raw_line)
        } else {
            raw_line.to_string()
        };
        Diagnostic { message: message.into(), file: self.origin.name.clone(), line, column, source_line, width }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_count_from_the_origin() {
        let origin = Origin { name: "f.st".into(), first_line: 10, first_column: 5 };
        let map = SourceMap::new("ab\ncd", &origin);
        assert_eq!(map.line_col(0), (10, 5));
        assert_eq!(map.line_col(1), (10, 6));
        assert_eq!(map.line_col(3), (11, 1));
        assert_eq!(map.line_col(99), (11, 3));
        let d = map.diagnostic(Span::new(4, 5), "oops");
        assert_eq!((d.line, d.column, d.source_line.as_str()), (11, 2, "cd"));
    }
}
