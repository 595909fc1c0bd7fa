//! Test inputs made on the spot: images encoded with the `image` crate, JPEG segments and
//! MP4/MOV atoms assembled byte by byte.
#![allow(dead_code)]

use std::io::Cursor;

use image::{DynamicImage, ImageFormat, Rgb, RgbImage, Rgba, RgbaImage};

/// A smooth gradient (compresses like a photo's sky).
pub fn gradient(width: u32, height: u32) -> DynamicImage {
    DynamicImage::ImageRgb8(RgbImage::from_fn(width, height, |x, y| {
        Rgb([(x * 255 / width.max(1)) as u8, (y * 255 / height.max(1)) as u8, 128])
    }))
}

/// Pseudo-random pixels: the worst case for compression, so byte caps really bind.
pub fn noise(width: u32, height: u32) -> DynamicImage {
    let mut state = 0x2545_F491_4F6C_DD1Du64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    DynamicImage::ImageRgb8(RgbImage::from_fn(width, height, |_, _| {
        let v = next();
        Rgb([v as u8, (v >> 8) as u8, (v >> 16) as u8])
    }))
}

/// Left half opaque red, right half fully transparent.
pub fn half_transparent(width: u32, height: u32) -> DynamicImage {
    DynamicImage::ImageRgba8(RgbaImage::from_fn(width, height, |x, _| {
        if x < width / 2 {
            Rgba([255, 0, 0, 255])
        } else {
            Rgba([0, 0, 255, 0])
        }
    }))
}

pub fn encode(image: &DynamicImage, format: ImageFormat) -> Vec<u8> {
    let mut out = Cursor::new(Vec::new());
    let image = match format {
        // The JPEG encoder takes no alpha.
        ImageFormat::Jpeg => DynamicImage::ImageRgb8(image.to_rgb8()),
        _ => image.clone(),
    };
    image.write_to(&mut out, format).unwrap();
    out.into_inner()
}

pub fn jpeg_with_quality(image: &DynamicImage, quality: u8) -> Vec<u8> {
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, quality).encode_image(&image.to_rgb8()).unwrap();
    out
}

pub const SECRET: &[u8] = b"GPS 48.8584N 2.2945E serial SN-SECRET-1234";

/// An APP1 Exif segment: big-endian TIFF header, one IFD with the Orientation tag, then the
/// secret bytes (standing for GPS and camera data) inside the same segment.
pub fn exif_segment(orientation: u16) -> Vec<u8> {
    let mut payload = b"Exif\0\0".to_vec();
    payload.extend_from_slice(b"MM\0\x2A\0\0\0\x08"); // TIFF header, IFD0 at offset 8
    payload.extend_from_slice(&1u16.to_be_bytes()); // one entry
    payload.extend_from_slice(&0x0112u16.to_be_bytes()); // Orientation
    payload.extend_from_slice(&3u16.to_be_bytes()); // SHORT
    payload.extend_from_slice(&1u32.to_be_bytes()); // count
    payload.extend_from_slice(&orientation.to_be_bytes());
    payload.extend_from_slice(&[0, 0]); // value padding
    payload.extend_from_slice(&0u32.to_be_bytes()); // no next IFD
    payload.extend_from_slice(SECRET);
    let mut segment = vec![0xFF, 0xE1];
    segment.extend_from_slice(&((payload.len() + 2) as u16).to_be_bytes());
    segment.extend_from_slice(&payload);
    segment
}

/// `jpeg` with `segment` inserted right after the SOI marker.
pub fn insert_after_soi(jpeg: &[u8], segment: &[u8]) -> Vec<u8> {
    assert_eq!(&jpeg[..2], &[0xFF, 0xD8]);
    let mut out = jpeg[..2].to_vec();
    out.extend_from_slice(segment);
    out.extend_from_slice(&jpeg[2..]);
    out
}

pub fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// One ISO-BMFF box.
pub fn atom(kind: &[u8; 4], payload: &[u8]) -> Vec<u8> {
    let mut out = ((payload.len() + 8) as u32).to_be_bytes().to_vec();
    out.extend_from_slice(kind);
    out.extend_from_slice(payload);
    out
}

pub fn ftyp(major: &[u8; 4], compatible: &[&[u8; 4]]) -> Vec<u8> {
    let mut payload = major.to_vec();
    payload.extend_from_slice(&0x200u32.to_be_bytes());
    for brand in compatible {
        payload.extend_from_slice(*brand);
    }
    atom(b"ftyp", &payload)
}

/// The identity matrix, or a 90° turn as phones write for portrait video.
pub fn matrix(quarter_turn: bool) -> [u32; 9] {
    let one = 0x0001_0000u32;
    let minus_one = 0xFFFF_0000u32;
    let w = 0x4000_0000u32;
    if quarter_turn {
        [0, one, 0, minus_one, 0, 0, 0, 0, w]
    } else {
        [one, 0, 0, 0, one, 0, 0, 0, w]
    }
}

/// A `tkhd` box (version 0 or 1) for a track of `width` × `height` pixels.
pub fn tkhd(version: u8, width: u32, height: u32, quarter_turn: bool) -> Vec<u8> {
    let mut p = vec![version, 0, 0, 7];
    let times = if version == 1 { 8 + 8 } else { 4 + 4 };
    p.extend(std::iter::repeat_n(0u8, times)); // creation, modification
    p.extend_from_slice(&1u32.to_be_bytes()); // track id
    p.extend_from_slice(&[0; 4]); // reserved
    p.extend(std::iter::repeat_n(0u8, if version == 1 { 8 } else { 4 })); // duration
    p.extend_from_slice(&[0; 8]); // reserved
    p.extend_from_slice(&[0; 2]); // layer
    p.extend_from_slice(&[0; 2]); // alternate group
    p.extend_from_slice(&[0; 2]); // volume
    p.extend_from_slice(&[0; 2]); // reserved
    for value in matrix(quarter_turn) {
        p.extend_from_slice(&value.to_be_bytes());
    }
    p.extend_from_slice(&(width << 16).to_be_bytes());
    p.extend_from_slice(&(height << 16).to_be_bytes());
    atom(b"tkhd", &p)
}

pub fn trak(tkhd: Vec<u8>) -> Vec<u8> {
    atom(b"trak", &[tkhd, atom(b"mdia", &[0; 16])].concat())
}

/// A whole file: `head` (an ftyp or nothing), then `moov` with the given tracks, then `mdat`.
pub fn movie(head: Vec<u8>, tracks: Vec<Vec<u8>>) -> Vec<u8> {
    let mvhd = atom(b"mvhd", &[0; 100]);
    let moov = atom(b"moov", &[vec![mvhd], tracks].concat().concat());
    [head, moov, atom(b"mdat", &[0xAB; 64])].concat()
}
