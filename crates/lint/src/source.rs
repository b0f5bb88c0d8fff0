//! Byte offsets → the 1-based line and column an agent (and a human) can find in the cell.
//!
//! The parser speaks UTF-8 byte offsets; the agent reads characters. Columns are therefore counted
//! in characters (Unicode scalar values), like CPython's `SyntaxError.offset` for text it shows.

use ruff_text_size::TextSize;

/// A 1-based position in the cell.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Position {
    /// 1-based line number.
    pub line: usize,
    /// 1-based column, counted in characters.
    pub column: usize,
}

/// Start offsets of every line, so positions are found by binary search rather than by rescanning
/// the cell for each diagnostic.
#[derive(Debug, Clone)]
pub(crate) struct LineIndex<'src> {
    source: &'src str,
    line_starts: Vec<usize>,
}

impl<'src> LineIndex<'src> {
    pub(crate) fn new(source: &'src str) -> Self {
        let mut line_starts = vec![0];
        let bytes = source.as_bytes();
        let mut i = 0;
        while i < bytes.len() {
            match bytes[i] {
                b'\n' => line_starts.push(i + 1),
                // A lone carriage return ends a line for Python's tokenizer too.
                b'\r' if bytes.get(i + 1) != Some(&b'\n') => line_starts.push(i + 1),
                _ => {}
            }
            i += 1;
        }
        Self {
            source,
            line_starts,
        }
    }

    /// The 0-based index of the line holding `offset` (offsets past the end map to the last line).
    fn line_of(&self, offset: usize) -> usize {
        match self.line_starts.binary_search(&offset) {
            Ok(line) => line,
            Err(next) => next.saturating_sub(1),
        }
    }

    /// Snaps an offset to the closest char boundary at or before it, so slicing never panics.
    fn floor_boundary(&self, offset: usize) -> usize {
        let mut offset = offset.min(self.source.len());
        while !self.source.is_char_boundary(offset) {
            offset -= 1;
        }
        offset
    }

    pub(crate) fn position(&self, offset: TextSize) -> Position {
        let offset = self.floor_boundary(offset.to_usize());
        let line = self.line_of(offset);
        let start = self.line_starts[line].min(offset);
        let column = self.source[start..offset].chars().count() + 1;
        Position {
            line: line + 1,
            column,
        }
    }

    /// The offset where a 1-based line starts (the end of the cell when out of range).
    pub(crate) fn line_start(&self, line: usize) -> TextSize {
        let start = line
            .checked_sub(1)
            .and_then(|i| self.line_starts.get(i))
            .copied()
            .unwrap_or(self.source.len());
        TextSize::try_from(start).unwrap_or_default()
    }

    /// The text of a 1-based line without its line ending ("" when out of range).
    pub(crate) fn line_text(&self, line: usize) -> &'src str {
        let Some(&start) = line.checked_sub(1).and_then(|i| self.line_starts.get(i)) else {
            return "";
        };
        let end = self
            .line_starts
            .get(line)
            .copied()
            .unwrap_or(self.source.len());
        self.source[start..end].trim_end_matches(['\n', '\r'])
    }
}

/// The offending line, indented, with a caret under `column`; tabs before the caret are kept so the
/// caret lines up however the reader renders tabs.
pub(crate) fn caret_snippet(line_text: &str, column: usize) -> String {
    let line_text = line_text.trim_end();
    let mut pad = String::new();
    for ch in line_text.chars().take(column.saturating_sub(1)) {
        pad.push(if ch == '\t' { '\t' } else { ' ' });
    }
    format!("    {line_text}\n    {pad}^")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_are_one_based_and_count_characters() {
        let src = "a = 1\né = (2,\n  x\n";
        let index = LineIndex::new(src);
        assert_eq!(
            index.position(TextSize::new(0)),
            Position { line: 1, column: 1 }
        );
        // 'é' is two bytes; the '(' after "é = " is the 5th character of line 2.
        let paren = src.find('(').unwrap();
        assert_eq!(
            index.position(TextSize::try_from(paren).unwrap()),
            Position { line: 2, column: 5 }
        );
        assert_eq!(index.line_text(2), "é = (2,");
        assert_eq!(index.line_text(9), "");
    }

    #[test]
    fn offsets_past_the_end_or_inside_a_char_do_not_panic() {
        let src = "é";
        let index = LineIndex::new(src);
        assert_eq!(index.position(TextSize::new(1)).column, 1);
        assert_eq!(index.position(TextSize::new(99)).column, 2);
    }

    #[test]
    fn caret_keeps_tabs() {
        assert_eq!(caret_snippet("\tx = (", 6), "    \tx = (\n    \t    ^");
    }
}
