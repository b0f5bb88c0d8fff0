//! Keeping the conversation inside the model's context window.
//!
//! The original re-sent everything, every image included, and met a full window with blind
//! retries (§9.4). Here each message is estimated (a quarter token per character, a fixed cost
//! per image) before the call; when prompt plus output reserve would not fit, images are
//! replaced by a one-line placeholder, oldest first, in escalating levels. The key frames of the
//! first message and the most recent show() images go last. Trimming edits the history itself:
//! once trimmed, the prefix stays stable, which keeps the server's prefix cache useful.

use spatialclaw_llm::{ContentPart, Message, Role};

/// What replaces an image that no longer fits.
pub const PLACEHOLDER: &str = "[image omitted to fit the context window]";

/// Rough prompt tokens of a conversation.
pub fn estimate_tokens(messages: &[Message], tokens_per_image: u64) -> u64 {
    messages
        .iter()
        .map(|m| {
            4 + m
                .content
                .iter()
                .map(|p| match p {
                    ContentPart::Text(t) => (t.chars().count() as u64).div_ceil(4),
                    ContentPart::Image(_) => tokens_per_image,
                })
                .sum::<u64>()
        })
        .sum()
}

/// The escalating trims, mildest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum TrimLevel {
    /// show() images older than the most recent `keep_recent`.
    OldShowImages,
    /// Every show() image except those of the latest message that has any.
    AllButLatestShowImages,
    /// Every show() image.
    AllShowImages,
    /// Long feedback texts except the two latest are cut to their head and tail.
    OldFeedbackText,
    /// The key frames too: the last resort before the step fails.
    KeyFrames,
}

impl TrimLevel {
    pub const ALL: [TrimLevel; 5] = [
        TrimLevel::OldShowImages,
        TrimLevel::AllButLatestShowImages,
        TrimLevel::AllShowImages,
        TrimLevel::OldFeedbackText,
        TrimLevel::KeyFrames,
    ];

    pub fn next(self) -> Option<TrimLevel> {
        let i = Self::ALL.iter().position(|l| *l == self)?;
        Self::ALL.get(i + 1).copied()
    }
}

/// Index of the message holding the key frames (the first user message).
fn key_frame_message(history: &[Message]) -> Option<usize> {
    history.iter().position(|m| m.role == Role::User)
}

fn replace_images(m: &mut Message, mut keep: impl FnMut(usize) -> bool) -> usize {
    let mut n = 0;
    let mut idx = 0;
    for part in &mut m.content {
        if matches!(part, ContentPart::Image(_)) {
            if !keep(idx) {
                *part = ContentPart::text(PLACEHOLDER);
                n += 1;
            }
            idx += 1;
        }
    }
    n
}

fn image_count(m: &Message) -> usize {
    m.content
        .iter()
        .filter(|p| matches!(p, ContentPart::Image(_)))
        .count()
}

const FEEDBACK_KEEP_CHARS: usize = 1500;

/// Apply one trim level; returns how many images were replaced (text cuts count as one).
pub fn apply(history: &mut [Message], level: TrimLevel, keep_recent: usize) -> usize {
    let protected = key_frame_message(history);
    let show_msgs: Vec<usize> = (0..history.len())
        .filter(|i| Some(*i) != protected && image_count(&history[*i]) > 0)
        .collect();
    match level {
        TrimLevel::OldShowImages => {
            // Walk back from the newest image, keeping `keep_recent`.
            let mut budget = keep_recent;
            let mut replaced = 0;
            for &i in show_msgs.iter().rev() {
                let count = image_count(&history[i]);
                let keep_here = budget.min(count);
                budget -= keep_here;
                // keep the last `keep_here` images of this message
                replaced += replace_images(&mut history[i], |k| k >= count - keep_here);
            }
            replaced
        }
        TrimLevel::AllButLatestShowImages => {
            let Some((_, older)) = show_msgs.split_last() else {
                return 0;
            };
            older
                .iter()
                .map(|&i| replace_images(&mut history[i], |_| false))
                .sum()
        }
        TrimLevel::AllShowImages => show_msgs
            .iter()
            .map(|&i| replace_images(&mut history[i], |_| false))
            .sum(),
        TrimLevel::OldFeedbackText => {
            let users: Vec<usize> = (0..history.len())
                .filter(|i| history[*i].role == Role::User && Some(*i) != protected)
                .collect();
            let mut cut = 0;
            for &i in users.iter().rev().skip(2) {
                for part in &mut history[i].content {
                    if let ContentPart::Text(t) = part
                        && t.chars().count() > FEEDBACK_KEEP_CHARS + 200
                    {
                        *t = crate::feedback::head_tail(t, FEEDBACK_KEEP_CHARS, 600);
                        cut += 1;
                    }
                }
            }
            cut
        }
        TrimLevel::KeyFrames => protected
            .map(|i| replace_images(&mut history[i], |_| false))
            .unwrap_or(0),
    }
}

/// Room the prompt must leave for the answer: the requested budget, but never more than half
/// the window. Paper configurations ask for as many output tokens as the window holds; the
/// client lowers `max_tokens` to what fits, so reserving all of it would evict every image.
pub fn output_reserve(max_tokens: u32, limit: u64) -> u64 {
    u64::from(max_tokens).min(limit / 2)
}

/// Trim until the estimate fits `limit` (starting no milder than `from`). Returns the images
/// replaced and the level reached (`None`: nothing needed).
pub fn fit(
    history: &mut [Message],
    limit: u64,
    max_tokens: u32,
    tokens_per_image: u64,
    keep_recent: usize,
    from: Option<TrimLevel>,
) -> (usize, Option<TrimLevel>) {
    let reserve = output_reserve(max_tokens, limit);
    let fits = |h: &[Message]| estimate_tokens(h, tokens_per_image) + reserve <= limit;
    let mut replaced = 0;
    let mut reached = None;
    for level in TrimLevel::ALL {
        // Levels up to `from` always apply (an overflow the estimate missed); they are
        // idempotent, so re-applying them only touches messages added since.
        let forced = from.is_some_and(|f| level <= f);
        if !forced && fits(history) {
            break;
        }
        replaced += apply(history, level, keep_recent);
        reached = Some(level);
    }
    (replaced, reached)
}

#[cfg(test)]
mod tests {
    use super::*;
    use spatialclaw_llm::ImagePart;

    fn img() -> ContentPart {
        ContentPart::image(ImagePart::png(vec![0x89, b'P', b'N', b'G']))
    }

    fn history(show_steps: usize) -> Vec<Message> {
        let mut h = vec![
            Message::system("sys"),
            Message::user_parts(vec![ContentPart::text("frames"), img(), img()]),
        ];
        for i in 0..show_steps {
            h.push(Message::assistant(format!("step {i}")));
            h.push(Message::user_parts(vec![
                ContentPart::text("feedback"),
                ContentPart::text("Visualization of x"),
                img(),
            ]));
        }
        h
    }

    fn images(h: &[Message]) -> Vec<usize> {
        h.iter().map(image_count).collect()
    }

    #[test]
    fn old_show_images_go_first_and_key_frames_stay() {
        let mut h = history(5);
        assert_eq!(apply(&mut h, TrimLevel::OldShowImages, 2), 3);
        assert_eq!(images(&h), vec![0, 2, 0, 0, 0, 0, 0, 0, 0, 1, 0, 1]);
        assert!(h[3].text().contains(PLACEHOLDER));
        assert_eq!(apply(&mut h, TrimLevel::AllButLatestShowImages, 2), 1);
        assert_eq!(apply(&mut h, TrimLevel::AllShowImages, 2), 1);
        assert_eq!(images(&h)[1], 2);
        assert_eq!(apply(&mut h, TrimLevel::KeyFrames, 2), 2);
    }

    #[test]
    fn fit_stops_as_soon_as_it_fits() {
        let mut h = history(6);
        let full = estimate_tokens(&h, 100);
        assert_eq!(full, 8 * 100 + 14 * 4 + 1 + 2 + 6 * (2 + 2 + 5));
        // Room for the key frames and two show images, plus the reserve.
        let (n, level) = fit(&mut h, full - 350 + 100, 100, 100, 2, None);
        assert_eq!((n, level), (4, Some(TrimLevel::OldShowImages)));
        let (n, level) = fit(&mut h, 10_000, 1000, 100, 2, None);
        assert_eq!((n, level), (0, None));
        let (n, _) = fit(&mut h, 10_000, 1000, 100, 2, Some(TrimLevel::AllShowImages));
        assert_eq!(
            n, 2,
            "an overflow the estimate missed forces the next level"
        );
    }

    #[test]
    fn the_reserve_never_takes_the_whole_window() {
        assert_eq!(output_reserve(131_072, 131_072), 65_536);
        assert_eq!(output_reserve(4096, 131_072), 4096);
    }
}
