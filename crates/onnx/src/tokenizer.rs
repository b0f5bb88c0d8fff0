//! CLIP's byte-level BPE tokenizer, for the text side of OWL-ViT style detectors: the export's
//! `vocab.json` and `merges.txt` are all it needs, so no Python tokenizer runs at query time.
//!
//! Follows CLIP's `simple_tokenizer`: whitespace collapsed and lower-cased text, split into
//! letter runs, single digits, contractions and runs of other symbols; each piece's UTF-8 bytes
//! mapped to printable characters, `</w>` appended to its last symbol, then merged by rank.
//! (CLIP also runs ftfy and HTML unescaping first; prompts for perception are plain phrases.)

use std::collections::HashMap;
use std::path::Path;

use crate::error::OnnxError;

pub struct ClipTokenizer {
    vocab: HashMap<String, i64>,
    ranks: HashMap<(String, String), usize>,
    byte_chars: [char; 256],
    bos: i64,
    eos: i64,
}

/// CLIP's reversible byte → printable character table.
fn byte_chars() -> [char; 256] {
    let printable = |b: u32| {
        (u32::from(b'!')..=u32::from(b'~')).contains(&b)
            || (0xA1..=0xAC).contains(&b)
            || (0xAE..=0xFF).contains(&b)
    };
    let mut table = ['\0'; 256];
    let mut extra = 0;
    for b in 0..256u32 {
        table[b as usize] = if printable(b) {
            char::from_u32(b).unwrap_or('?')
        } else {
            extra += 1;
            char::from_u32(255 + extra).unwrap_or('?')
        };
    }
    table
}

/// CLIP's pre-tokenisation of cleaned, lower-cased text.
fn pieces(text: &str) -> Vec<String> {
    let chars: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_whitespace() {
            i += 1;
        } else if c == '\'' {
            let rest: String = chars[i + 1..chars.len().min(i + 3)].iter().collect();
            let take = ["re", "ve", "ll"]
                .iter()
                .find(|s| rest.starts_with(*s))
                .map(|_| 3)
                .or_else(|| {
                    matches!(rest.chars().next(), Some('s' | 't' | 'm' | 'd')).then_some(2)
                });
            let n = take.unwrap_or_else(|| {
                // A run of other symbols starting with the apostrophe.
                chars[i..]
                    .iter()
                    .take_while(|c| !c.is_whitespace() && !c.is_alphanumeric())
                    .count()
            });
            out.push(chars[i..i + n].iter().collect());
            i += n;
        } else if c.is_alphabetic() {
            let n = chars[i..].iter().take_while(|c| c.is_alphabetic()).count();
            out.push(chars[i..i + n].iter().collect());
            i += n;
        } else if c.is_numeric() {
            out.push(c.to_string());
            i += 1;
        } else {
            let n = chars[i..]
                .iter()
                .take_while(|c| !c.is_whitespace() && !c.is_alphanumeric())
                .count();
            out.push(chars[i..i + n].iter().collect());
            i += n;
        }
    }
    out
}

impl ClipTokenizer {
    pub fn load(vocab: &Path, merges: &Path) -> Result<Self, OnnxError> {
        let read = |p: &Path| {
            std::fs::read_to_string(p).map_err(|e| OnnxError::Manifest {
                path: p.to_owned(),
                why: format!("cannot read tokenizer file: {e}"),
            })
        };
        let vocab_map: HashMap<String, i64> =
            serde_json::from_str(&read(vocab)?).map_err(|e| OnnxError::Manifest {
                path: vocab.to_owned(),
                why: format!("not a JSON object of token → id: {e}"),
            })?;
        Self::new(vocab_map, &read(merges)?).map_err(|why| OnnxError::Manifest {
            path: vocab.to_owned(),
            why,
        })
    }

    pub fn new(vocab: HashMap<String, i64>, merges: &str) -> Result<Self, String> {
        let id = |t: &str| {
            vocab
                .get(t)
                .copied()
                .ok_or_else(|| format!("the vocabulary has no {t} token"))
        };
        let (bos, eos) = (id("<|startoftext|>")?, id("<|endoftext|>")?);
        let mut ranks = HashMap::new();
        for line in merges.lines() {
            if line.starts_with("#version") || line.trim().is_empty() {
                continue;
            }
            let mut parts = line.split_whitespace();
            if let (Some(a), Some(b)) = (parts.next(), parts.next()) {
                let rank = ranks.len();
                ranks.entry((a.to_owned(), b.to_owned())).or_insert(rank);
            }
        }
        Ok(Self {
            vocab,
            ranks,
            byte_chars: byte_chars(),
            bos,
            eos,
        })
    }

    fn bpe(&self, piece: &str) -> Vec<String> {
        let mut word: Vec<String> = piece
            .bytes()
            .map(|b| self.byte_chars[b as usize].to_string())
            .collect();
        if let Some(last) = word.last_mut() {
            last.push_str("</w>");
        }
        loop {
            let best = word
                .windows(2)
                .enumerate()
                .filter_map(|(i, w)| {
                    self.ranks
                        .get(&(w[0].clone(), w[1].clone()))
                        .map(|&r| (r, i))
                })
                .min();
            let Some((_, at)) = best else { break };
            let (a, b) = (word[at].clone(), word[at + 1].clone());
            // Merge every occurrence of the pair, left to right, as CLIP does.
            let mut merged = Vec::with_capacity(word.len());
            let mut i = 0;
            while i < word.len() {
                if i + 1 < word.len() && word[i] == a && word[i + 1] == b {
                    merged.push(format!("{a}{b}"));
                    i += 2;
                } else {
                    merged.push(word[i].clone());
                    i += 1;
                }
            }
            word = merged;
        }
        word
    }

    /// Token ids of `text` (without start/end tokens); unknown pieces map to the end token,
    /// as CLIP's unknown token is.
    pub fn tokens(&self, text: &str) -> Vec<i64> {
        let clean = text
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
            .to_lowercase();
        pieces(&clean)
            .iter()
            .flat_map(|p| self.bpe(p))
            .map(|t| self.vocab.get(&t).copied().unwrap_or(self.eos))
            .collect()
    }

    /// `[start] tokens [end]` cut or padded to `len`, with the attention mask.
    pub fn encode(&self, text: &str, len: usize, pad: i64) -> (Vec<i64>, Vec<i64>) {
        let mut ids = vec![self.bos];
        ids.extend(self.tokens(text));
        ids.truncate(len.saturating_sub(1));
        ids.push(self.eos);
        let real = ids.len();
        ids.resize(len, pad);
        let mask = (0..len).map(|i| i64::from(i < real)).collect();
        (ids, mask)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tiny() -> ClipTokenizer {
        let vocab: HashMap<String, i64> = [
            ("!", 0),
            ("<|startoftext|>", 100),
            ("<|endoftext|>", 101),
            ("c", 1),
            ("h", 2),
            ("a", 3),
            ("i", 4),
            ("r</w>", 5),
            ("ch", 6),
            ("air</w>", 7),
            ("chair</w>", 8),
            ("ai", 9),
            ("s</w>", 10),
            ("'s</w>", 11),
            ("'", 12),
            ("2</w>", 13),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect();
        let merges = "#version: 0.2\nc h\na i\nai r</w>\nch air</w>\n' s</w>\n";
        ClipTokenizer::new(vocab, merges).unwrap()
    }

    #[test]
    fn merges_by_rank_and_marks_word_ends() {
        let t = tiny();
        assert_eq!(t.bpe("chair"), vec!["chair</w>"]);
        assert_eq!(t.bpe("chairs"), vec!["ch", "ai", "r", "s</w>"]);
        assert_eq!(t.tokens("  A   CHAIR "), vec![101, 8]); // "a</w>" is unknown here
        assert_eq!(t.tokens("chair's 2"), vec![8, 11, 13]);
    }

    #[test]
    fn encodes_with_start_end_padding_and_mask() {
        let t = tiny();
        let (ids, mask) = t.encode("chair", 6, 0);
        assert_eq!(ids, vec![100, 8, 101, 0, 0, 0]);
        assert_eq!(mask, vec![1, 1, 1, 0, 0, 0]);
        let (ids, _) = t.encode("chair chair chair chair", 4, 0);
        assert_eq!(ids, vec![100, 8, 8, 101]);
    }

    #[test]
    fn byte_table_is_clips() {
        let t = byte_chars();
        assert_eq!(t[b'a' as usize], 'a');
        assert_eq!(t[b' ' as usize], 'Ġ'); // 0x20 is the 33rd non-printable byte: 256 + 32
        assert_eq!(t[0], 'Ā');
    }
}
