//! Progress of a run: done/total, running accuracy, failures, tokens, ETA. A line that redraws
//! itself on a terminal; plain lines (every few samples) when the output is a file or a pipe.

use std::io::{IsTerminal, Write};
use std::time::Instant;

pub trait Progress {
    fn start(&mut self, total: usize, already_done: usize);
    fn sample_done(&mut self, ok: bool, score: Option<f64>, tokens: u64);
    fn message(&mut self, text: &str);
    fn finish(&mut self);
}

/// Writes progress to stderr.
pub struct ProgressLine {
    tty: bool,
    total: usize,
    done: usize,
    ran: usize,
    failed: usize,
    score_sum: f64,
    scored: usize,
    tokens: u64,
    started: Instant,
    quiet: bool,
}

impl ProgressLine {
    pub fn new(quiet: bool) -> Self {
        Self {
            tty: std::io::stderr().is_terminal(),
            total: 0,
            done: 0,
            ran: 0,
            failed: 0,
            score_sum: 0.0,
            scored: 0,
            tokens: 0,
            started: Instant::now(),
            quiet,
        }
    }

    fn line(&self) -> String {
        let acc = if self.scored > 0 {
            format!("{:.1}%", 100.0 * self.score_sum / self.scored as f64)
        } else {
            "-".into()
        };
        let eta = if self.ran > 0 && self.done < self.total {
            let per = self.started.elapsed().as_secs_f64() / self.ran as f64;
            let secs = per * (self.total - self.done) as f64;
            format!("{}m{:02}s", (secs / 60.0) as u64, (secs % 60.0) as u64)
        } else {
            "-".into()
        };
        format!(
            "[{}/{}] accuracy {acc} | failed {} | tokens {:.1}k | ETA {eta}",
            self.done,
            self.total,
            self.failed,
            self.tokens as f64 / 1000.0
        )
    }

    fn draw(&self, force: bool) {
        if self.quiet {
            return;
        }
        let mut err = std::io::stderr();
        if self.tty {
            let _ = write!(err, "\r\x1b[2K{}", self.line());
            let _ = err.flush();
        } else if force || self.done.is_multiple_of(10) || self.done == self.total {
            let _ = writeln!(err, "{}", self.line());
        }
    }
}

impl Progress for ProgressLine {
    fn start(&mut self, total: usize, already_done: usize) {
        self.total = total;
        self.done = already_done;
        self.started = Instant::now();
        if already_done > 0 && !self.quiet {
            eprintln!("resuming: {already_done} of {total} samples already done");
        }
        self.draw(true);
    }

    fn sample_done(&mut self, ok: bool, score: Option<f64>, tokens: u64) {
        self.done += 1;
        self.ran += 1;
        if !ok {
            self.failed += 1;
        }
        if let Some(s) = score {
            self.score_sum += s;
            self.scored += 1;
        }
        self.tokens += tokens;
        self.draw(false);
    }

    fn message(&mut self, text: &str) {
        if self.tty {
            eprint!("\r\x1b[2K");
        }
        eprintln!("{text}");
        self.draw(true);
    }

    fn finish(&mut self) {
        if self.tty && !self.quiet {
            eprintln!();
        }
    }
}
