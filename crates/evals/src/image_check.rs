//! Checking an input image before anyone decodes it: the format from its magic number, the
//! declared size from its header, and whether the file is complete.
//!
//! Nothing here decodes pixels or allocates in proportion to the declared size, so a 20000×20000
//! PNG of a few kilobytes (1.2 GB once decoded) is refused after reading its header, a zero-byte or
//! truncated file is refused with a message that says so, and the kernel, the key frames sent to
//! the model and the perception backends only ever see images that are at most
//! [`MAX_IMAGE_PIXELS`] large.
//!
//! What is checked, per format:
//! * PNG: the signature, an `IHDR` first, every chunk's length and CRC (a flipped bit anywhere in
//!   the file is caught), at least one `IDAT`, and an `IEND` at the end.
//! * JPEG: the `SOI` marker, the segments up to the first frame header (`SOFn`, which gives the
//!   size), and an `EOI` marker after the scan data.
//! * GIF, BMP, WebP: the header and the declared size.

use std::io::Read;
use std::path::Path;

use crate::loaders::ImageRef;

/// Largest accepted image, in pixels (8192 × 8192, 192 MiB as 8-bit RGB once decoded).
pub const MAX_IMAGE_PIXELS: u64 = 8192 * 8192;

/// Largest accepted image file, in bytes (checked before the file is read).
pub const MAX_IMAGE_FILE_BYTES: u64 = 256 * 1024 * 1024;

/// What the header says about a usable image.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ImageInfo {
    /// "png", "jpeg", "gif", "bmp" or "webp".
    pub format: &'static str,
    pub width: u32,
    pub height: u32,
}

/// Why an image is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ImageProblem {
    #[error("is empty (0 bytes); re-download or re-extract it")]
    Empty,
    #[error(
        "is not an image in a known format (first bytes: {head:02x?}); expected PNG, JPEG, GIF, BMP or WebP — re-download it or convert it to PNG"
    )]
    UnknownFormat { head: Vec<u8> },
    #[error(
        "is a truncated {format} file ({detail}); the file was cut short — re-download or re-extract it"
    )]
    Truncated {
        format: &'static str,
        detail: String,
    },
    #[error("is a corrupt {format} file ({detail}); re-download or re-extract it")]
    Corrupt {
        format: &'static str,
        detail: String,
    },
    #[error(
        "declares {width}×{height} pixels ({mpx:.1} Mpx, about {mb} MB once decoded), over the limit of {limit_mpx:.1} Mpx (8192×8192); downscale it first, e.g. `ffmpeg -i in.png -vf scale=4096:-1 out.png`",
        mpx = (*width as f64) * (*height as f64) / 1e6,
        mb = (*width as u64) * (*height as u64) * 3 / 1_000_000,
        limit_mpx = MAX_IMAGE_PIXELS as f64 / 1e6
    )]
    TooLarge { width: u32, height: u32 },
    #[error(
        "is {bytes} bytes, over the {limit} byte limit for an input image; downscale or recompress it",
        limit = MAX_IMAGE_FILE_BYTES
    )]
    FileTooLarge { bytes: u64 },
    #[error("cannot be read: {0}")]
    Io(String),
}

/// Checks encoded image bytes (see the module docs). Reads only headers and chunk framing.
pub fn inspect(bytes: &[u8]) -> Result<ImageInfo, ImageProblem> {
    if bytes.is_empty() {
        return Err(ImageProblem::Empty);
    }
    let info = if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        png(bytes)?
    } else if bytes.starts_with(&[0xFF, 0xD8]) {
        jpeg(bytes)?
    } else if bytes.starts_with(b"GIF87a") || bytes.starts_with(b"GIF89a") {
        let h = need(bytes, 10, "gif", "the header")?;
        dims(
            "gif",
            u32::from(u16::from_le_bytes([h[6], h[7]])),
            u32::from(u16::from_le_bytes([h[8], h[9]])),
        )?
    } else if bytes.starts_with(b"BM") {
        let h = need(bytes, 26, "bmp", "the header")?;
        let w = i32::from_le_bytes([h[18], h[19], h[20], h[21]]);
        let hgt = i32::from_le_bytes([h[22], h[23], h[24], h[25]]);
        dims("bmp", w.unsigned_abs(), hgt.unsigned_abs())?
    } else if bytes.len() >= 12 && &bytes[0..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        webp(bytes)?
    } else {
        return Err(ImageProblem::UnknownFormat {
            head: bytes.iter().take(8).copied().collect(),
        });
    };
    Ok(info)
}

/// Checks an image file: its size on disk first (a huge file is never read), then its content.
pub fn inspect_file(path: &Path) -> Result<ImageInfo, ImageProblem> {
    let io = |e: std::io::Error| ImageProblem::Io(e.to_string());
    let len = std::fs::metadata(path).map_err(io)?.len();
    if len > MAX_IMAGE_FILE_BYTES {
        return Err(ImageProblem::FileTooLarge { bytes: len });
    }
    let mut bytes = Vec::with_capacity(len as usize);
    std::fs::File::open(path)
        .map_err(io)?
        .take(MAX_IMAGE_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(io)?;
    inspect(&bytes)
}

/// Checks an input image and words a failure as a per-sample reason naming the image.
pub fn check_image(image: &ImageRef) -> Result<ImageInfo, String> {
    match image {
        ImageRef::Path(p) => {
            inspect_file(p).map_err(|e| format!("input image {} {e}", p.display()))
        }
        ImageRef::Bytes { name, data } => {
            if data.len() as u64 > MAX_IMAGE_FILE_BYTES {
                return Err(format!(
                    "embedded image {name} {}",
                    ImageProblem::FileTooLarge {
                        bytes: data.len() as u64
                    }
                ));
            }
            inspect(data).map_err(|e| format!("embedded image {name} {e}"))
        }
    }
}

fn need<'a>(
    bytes: &'a [u8],
    n: usize,
    format: &'static str,
    what: &str,
) -> Result<&'a [u8], ImageProblem> {
    bytes.get(..n).ok_or_else(|| ImageProblem::Truncated {
        format,
        detail: format!("{} bytes, too short for {what}", bytes.len()),
    })
}

fn dims(format: &'static str, width: u32, height: u32) -> Result<ImageInfo, ImageProblem> {
    if width == 0 || height == 0 {
        return Err(ImageProblem::Corrupt {
            format,
            detail: format!("declares a size of {width}×{height}"),
        });
    }
    if u64::from(width) * u64::from(height) > MAX_IMAGE_PIXELS {
        return Err(ImageProblem::TooLarge { width, height });
    }
    Ok(ImageInfo {
        format,
        width,
        height,
    })
}

fn be32(b: &[u8]) -> u32 {
    u32::from_be_bytes([b[0], b[1], b[2], b[3]])
}

/// CRC-32 (ISO-HDLC, as PNG uses), bitwise: chunks are small and this runs once per image.
fn crc32(parts: &[&[u8]]) -> u32 {
    let mut h = crc32fast::Hasher::new();
    for part in parts {
        h.update(part);
    }
    h.finalize()
}

fn png(bytes: &[u8]) -> Result<ImageInfo, ImageProblem> {
    const F: &str = "png";
    let ihdr = need(bytes, 8 + 8 + 13, F, "the IHDR header")?;
    if &ihdr[12..16] != b"IHDR" || be32(&ihdr[8..12]) != 13 {
        return Err(ImageProblem::Corrupt {
            format: F,
            detail: "the first chunk is not a 13-byte IHDR".into(),
        });
    }
    // The size is checked before anything else, so a huge image is refused even when the rest
    // of the file is damaged too.
    let info = dims(F, be32(&ihdr[16..20]), be32(&ihdr[20..24]))?;
    let mut at = 8usize;
    let mut idat = false;
    loop {
        let Some(head) = bytes.get(at..at + 8) else {
            return Err(ImageProblem::Truncated {
                format: F,
                detail: format!("{} bytes, ends without an IEND chunk", bytes.len()),
            });
        };
        let len = be32(&head[0..4]) as usize;
        let kind = &head[4..8];
        let name = String::from_utf8_lossy(kind).into_owned();
        let end = at
            .checked_add(12)
            .and_then(|x| x.checked_add(len))
            .filter(|&e| e <= bytes.len());
        let Some(end) = end else {
            return Err(ImageProblem::Truncated {
                format: F,
                detail: format!(
                    "{} bytes, the {name} chunk at byte {at} needs {} more",
                    bytes.len(),
                    (at + 12 + len).saturating_sub(bytes.len())
                ),
            });
        };
        let data = &bytes[at + 8..at + 8 + len];
        let stored = be32(&bytes[at + 8 + len..end]);
        if crc32(&[kind, data]) != stored {
            return Err(ImageProblem::Corrupt {
                format: F,
                detail: format!("the CRC of the {name} chunk at byte {at} does not match"),
            });
        }
        idat |= kind == b"IDAT";
        if kind == b"IEND" {
            if !idat {
                return Err(ImageProblem::Corrupt {
                    format: F,
                    detail: "no IDAT chunk (no pixel data)".into(),
                });
            }
            return Ok(info);
        }
        at = end;
    }
}

fn jpeg(bytes: &[u8]) -> Result<ImageInfo, ImageProblem> {
    const F: &str = "jpeg";
    let mut at = 2usize;
    let mut info: Option<ImageInfo> = None;
    loop {
        let Some((ff, marker)) = bytes.get(at..at + 2).map(|b| (b[0], b[1])) else {
            return Err(ImageProblem::Truncated {
                format: F,
                detail: format!(
                    "{} bytes, ends inside the headers before the image data",
                    bytes.len()
                ),
            });
        };
        if ff != 0xFF {
            return Err(ImageProblem::Corrupt {
                format: F,
                detail: format!("no segment marker at byte {at}"),
            });
        }
        match marker {
            // Fill bytes before a marker.
            0xFF => {
                at += 1;
                continue;
            }
            // Standalone markers without a length.
            0x01 | 0xD0..=0xD7 => {
                at += 2;
                continue;
            }
            0xD9 => {
                return Err(ImageProblem::Corrupt {
                    format: F,
                    detail: "the image ends before any image data".into(),
                });
            }
            _ => {}
        }
        let Some(len) = bytes
            .get(at + 2..at + 4)
            .map(|b| usize::from(u16::from_be_bytes([b[0], b[1]])))
        else {
            return Err(ImageProblem::Truncated {
                format: F,
                detail: format!("{} bytes, ends inside a segment header", bytes.len()),
            });
        };
        if len < 2 {
            return Err(ImageProblem::Corrupt {
                format: F,
                detail: format!("segment at byte {at} has length {len}"),
            });
        }
        let Some(segment) = bytes.get(at + 4..at + 2 + len) else {
            return Err(ImageProblem::Truncated {
                format: F,
                detail: format!(
                    "{} bytes, the segment at byte {at} needs {}",
                    bytes.len(),
                    at + 2 + len
                ),
            });
        };
        // SOF0..SOF15 except DHT (C4), JPG (C8) and DAC (CC): precision, height, width.
        if matches!(marker, 0xC0..=0xCF) && !matches!(marker, 0xC4 | 0xC8 | 0xCC) {
            if segment.len() < 5 {
                return Err(ImageProblem::Corrupt {
                    format: F,
                    detail: "frame header too short".into(),
                });
            }
            let h = u32::from(u16::from_be_bytes([segment[1], segment[2]]));
            let w = u32::from(u16::from_be_bytes([segment[3], segment[4]]));
            info = Some(dims(F, w, h)?);
        }
        at += 2 + len;
        if marker == 0xDA {
            // Start of scan: entropy-coded data follows; a complete file ends with EOI.
            let Some(found) = info else {
                return Err(ImageProblem::Corrupt {
                    format: F,
                    detail: "image data before any frame header (SOF)".into(),
                });
            };
            let rest = &bytes[at.min(bytes.len())..];
            if !rest.windows(2).rev().any(|w| w == [0xFF, 0xD9]) {
                return Err(ImageProblem::Truncated {
                    format: F,
                    detail: format!("{} bytes, no end-of-image marker", bytes.len()),
                });
            }
            return Ok(found);
        }
    }
}

fn webp(bytes: &[u8]) -> Result<ImageInfo, ImageProblem> {
    const F: &str = "webp";
    let h = need(bytes, 30, F, "the header")?;
    let le24 = |b: &[u8]| u32::from(b[0]) | (u32::from(b[1]) << 8) | (u32::from(b[2]) << 16);
    match &h[12..16] {
        b"VP8X" => dims(F, le24(&h[24..27]) + 1, le24(&h[27..30]) + 1),
        b"VP8L" => {
            let b = &h[21..25];
            let w = 1 + (u32::from(b[0]) | ((u32::from(b[1]) & 0x3F) << 8));
            let hgt = 1
                + ((u32::from(b[1]) >> 6)
                    | (u32::from(b[2]) << 2)
                    | ((u32::from(b[3]) & 0x0F) << 10));
            dims(F, w, hgt)
        }
        b"VP8 " => dims(
            F,
            u32::from(u16::from_le_bytes([h[26], h[27]]) & 0x3FFF),
            u32::from(u16::from_le_bytes([h[28], h[29]]) & 0x3FFF),
        ),
        other => Err(ImageProblem::Corrupt {
            format: F,
            detail: format!("unknown chunk {:?}", String::from_utf8_lossy(other)),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc_matches_the_png_reference_value() {
        // CRC of the IEND chunk type with no data, as every PNG ends with.
        assert_eq!(crc32(&[b"IEND"]), 0xAE42_6082);
    }
}
