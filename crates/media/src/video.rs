//! Video dimensions from the MP4/QuickTime track header (`moov/trak/tkhd`). Videos are stored
//! as uploaded (no transcoding); this is only so that width and height can be recorded.

use crate::error::MediaError;

/// Display width and height of the first visual track of an MP4 or MOV file.
///
/// Reads the `tkhd` box of each `trak` in `moov` and returns the first with a non-zero size
/// (audio tracks have 0 × 0), swapping the two when the track matrix rotates by 90° or 270°
/// (phones record portrait video as rotated landscape).
pub fn video_dimensions(bytes: &[u8]) -> Result<(u32, u32), MediaError> {
    let moov = find_box(bytes, b"moov")?.ok_or_else(|| invalid("no moov box"))?;
    for child in Boxes::new(moov) {
        let (kind, trak) = child?;
        if &kind != b"trak" {
            continue;
        }
        let Some(tkhd) = find_box(trak, b"tkhd")? else {
            continue;
        };
        if let Some(dimensions) = parse_tkhd(tkhd)? {
            return Ok(dimensions);
        }
    }
    Err(invalid("no track with a picture size"))
}

fn invalid(reason: &str) -> MediaError {
    MediaError::InvalidVideo(reason.to_owned())
}

/// The payload of the first box of type `kind` among the boxes that make up `data`.
fn find_box<'a>(data: &'a [u8], kind: &[u8; 4]) -> Result<Option<&'a [u8]>, MediaError> {
    for child in Boxes::new(data) {
        let (child_kind, payload) = child?;
        if &child_kind == kind {
            return Ok(Some(payload));
        }
    }
    Ok(None)
}

/// Walks a sequence of boxes (`size`, `type`, payload), every offset bounds-checked.
struct Boxes<'a> {
    data: &'a [u8],
    pos: usize,
}

impl<'a> Boxes<'a> {
    fn new(data: &'a [u8]) -> Self {
        Boxes { data, pos: 0 }
    }
}

impl<'a> Iterator for Boxes<'a> {
    type Item = Result<([u8; 4], &'a [u8]), MediaError>;

    fn next(&mut self) -> Option<Self::Item> {
        let rest = self.data.get(self.pos..)?;
        if rest.is_empty() {
            return None;
        }
        // After an error the walk stops: the rest cannot be framed.
        self.pos = self.data.len();
        let Some(header) = rest.get(..8) else {
            return Some(Err(invalid("truncated box header")));
        };
        let size32 = u32::from_be_bytes([header[0], header[1], header[2], header[3]]);
        let kind = [header[4], header[5], header[6], header[7]];
        let (header_len, size) = match size32 {
            0 => (8u64, rest.len() as u64), // the box runs to the end of its container
            1 => match rest.get(8..16) {
                Some(large) => {
                    let mut raw = [0u8; 8];
                    raw.copy_from_slice(large);
                    (16u64, u64::from_be_bytes(raw))
                }
                None => return Some(Err(invalid("truncated 64-bit box size"))),
            },
            n => (8u64, u64::from(n)),
        };
        if size < header_len || size > rest.len() as u64 {
            return Some(Err(invalid("box size out of bounds")));
        }
        // Both fit in usize: they are at most rest.len().
        let (header_len, size) = (header_len as usize, size as usize);
        self.pos = self.data.len() - rest.len() + size;
        Some(Ok((kind, &rest[header_len..size])))
    }
}

/// Width and height from a `tkhd` payload, `None` for a track without a picture.
fn parse_tkhd(tkhd: &[u8]) -> Result<Option<(u32, u32)>, MediaError> {
    let version = *tkhd.first().ok_or_else(|| invalid("empty tkhd"))?;
    // version+flags, then creation/modification times, track id, reserved, duration:
    // 32-bit fields in version 0, 64-bit times and duration in version 1.
    let fields_end = match version {
        0 => 4 + 4 + 4 + 4 + 4 + 4,
        1 => 4 + 8 + 8 + 4 + 4 + 8,
        _ => return Err(invalid("unknown tkhd version")),
    };
    // reserved (8), layer (2), alternate group (2), volume (2), reserved (2).
    let matrix_start = fields_end + 16;
    let width_start = matrix_start + 36;
    let read = |at: usize| -> Result<u32, MediaError> {
        let raw = tkhd.get(at..at + 4).ok_or_else(|| invalid("truncated tkhd"))?;
        Ok(u32::from_be_bytes([raw[0], raw[1], raw[2], raw[3]]))
    };
    // 16.16 fixed point, rounded to whole pixels.
    let width = read(width_start)?.saturating_add(0x8000) >> 16;
    let height = read(width_start + 4)?.saturating_add(0x8000) >> 16;
    if width == 0 || height == 0 {
        return Ok(None);
    }
    // The matrix is { a b u / c d v / x y w }; a 90° or 270° turn has a = d = 0.
    let a = read(matrix_start)?;
    let b = read(matrix_start + 4)?;
    let c = read(matrix_start + 12)?;
    let d = read(matrix_start + 16)?;
    let quarter_turn = a == 0 && d == 0 && b != 0 && c != 0;
    Ok(Some(if quarter_turn { (height, width) } else { (width, height) }))
}
