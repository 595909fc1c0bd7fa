//! Reading and re-encoding images: dimensions for the database, and variants that fit a
//! platform. Re-encoding from decoded pixels is what strips EXIF (GPS, camera serial), XMP
//! and IPTC: nothing but pixels (and the colour profile) reaches the output.
//!
//! These functions are CPU-bound and synchronous: call them from `spawn_blocking` or a job.

use std::io::Cursor;
use std::panic::{catch_unwind, AssertUnwindSafe};

use image::codecs::jpeg::JpegEncoder;
use image::codecs::png::{CompressionType, FilterType as PngFilter, PngEncoder};
use image::imageops::FilterType;
use image::metadata::Orientation;
use image::{DynamicImage, ExtendedColorType, ImageDecoder, ImageEncoder, ImageFormat, ImageReader, Limits};

use crate::error::MediaError;
use crate::sniff::{sniff, MediaKind, MediaType};
use crate::variants::{OutputFormat, Variant, VariantSpec};
use crate::video::video_dimensions;

/// Decoding stops above this many pixels per side or bytes of decoded data, so a small file
/// that claims to be huge (a decompression bomb) is refused instead of exhausting memory.
const MAX_SIDE: u32 = 20_000;
const MAX_DECODED_BYTES: u64 = 512 * 1024 * 1024;

/// JPEG qualities tried in turn when a variant has a byte cap, before shrinking the image.
const JPEG_QUALITIES: [u8; 3] = [85, 75, 65];
/// Shrinking under a byte cap stops here; smaller would be useless to publish.
const MIN_SIDE: u32 = 64;
const MAX_SHRINK_ROUNDS: usize = 12;

/// An encoded variant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Derived {
    pub bytes: Vec<u8>,
    /// JPEG or PNG.
    pub media_type: MediaType,
    pub width: u32,
    pub height: u32,
}

/// Width and height as displayed (EXIF rotation applied) of an image, or of a video's first
/// picture track. Images are decoded in full, so a corrupt image is refused here, at upload,
/// rather than later in a job.
pub fn inspect(bytes: &[u8]) -> Result<(u32, u32), MediaError> {
    let media_type = sniff(bytes).ok_or(MediaError::UnsupportedType)?;
    match media_type.kind() {
        MediaKind::Video => video_dimensions(bytes),
        MediaKind::Image => {
            let decoded = decode(bytes, media_type)?;
            Ok((decoded.image.width(), decoded.image.height()))
        }
    }
}

/// Re-encodes an image as `variant` (see [`Variant::spec`]).
pub fn derive(bytes: &[u8], variant: Variant) -> Result<Derived, MediaError> {
    derive_with(bytes, &variant.spec())
}

/// Re-encodes an image to fit `spec`: scaled down (never up) keeping its aspect ratio, EXIF
/// orientation applied, as JPEG quality 85 or, when the spec allows and the image has
/// transparent pixels, PNG. Under a byte cap, quality and then size are lowered until it fits.
pub fn derive_with(bytes: &[u8], spec: &VariantSpec) -> Result<Derived, MediaError> {
    let media_type = sniff(bytes).ok_or(MediaError::UnsupportedType)?;
    if media_type.kind() != MediaKind::Image {
        return Err(MediaError::NotAnImage(media_type));
    }
    let Decoded { image, icc_profile } = decode(bytes, media_type)?;
    let as_png = spec.output == OutputFormat::JpegOrPng && has_transparency(&image);
    // JPEG has no alpha: transparent areas become white rather than black.
    let source = if as_png { image } else { DynamicImage::ImageRgb8(flatten_on_white(&image)) };

    let mut size = fit_within(source.width(), source.height(), spec);
    for _ in 0..MAX_SHRINK_ROUNDS {
        let resized = resize(&source, size);
        let mut smallest = u64::MAX;
        let attempts: &[u8] = if as_png { &[0] } else { &JPEG_QUALITIES };
        for &quality in attempts {
            let bytes = if as_png {
                encode_png(&resized, icc_profile.as_deref())?
            } else {
                encode_jpeg(&resized, quality, icc_profile.as_deref())?
            };
            let len = bytes.len() as u64;
            if spec.max_bytes.is_none_or(|max| len <= max) {
                let media_type = if as_png { MediaType::Png } else { MediaType::Jpeg };
                return Ok(Derived { bytes, media_type, width: size.0, height: size.1 });
            }
            smallest = smallest.min(len);
        }
        let max_bytes = spec.max_bytes.unwrap_or(u64::MAX);
        // Encoded size grows roughly with the pixel count: aim a little under the cap.
        let factor = ((max_bytes as f64 / smallest as f64).sqrt() * 0.95).clamp(0.5, 0.9);
        let next = (scale(size.0, factor), scale(size.1, factor));
        if next.0.max(next.1) < MIN_SIDE {
            break;
        }
        size = next;
    }
    Err(MediaError::CannotFit { max_bytes: spec.max_bytes.unwrap_or(0) })
}

struct Decoded {
    image: DynamicImage,
    icc_profile: Option<Vec<u8>>,
}

fn invalid(error: image::ImageError) -> MediaError {
    MediaError::InvalidImage(error.to_string())
}

/// Decodes with limits, applies the EXIF orientation (which re-encoding would otherwise lose)
/// and keeps the colour profile (so wide-gamut photos keep their colours).
fn decode(bytes: &[u8], media_type: MediaType) -> Result<Decoded, MediaError> {
    let format = match media_type {
        MediaType::Jpeg => ImageFormat::Jpeg,
        MediaType::Png => ImageFormat::Png,
        MediaType::Webp => ImageFormat::WebP,
        MediaType::Gif => ImageFormat::Gif,
        MediaType::Mp4 | MediaType::Mov => return Err(MediaError::NotAnImage(media_type)),
    };
    // A decoder bug must not take the worker down with it: it becomes an unreadable image.
    catch_unwind(AssertUnwindSafe(|| {
        let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
        let mut limits = Limits::default();
        limits.max_image_width = Some(MAX_SIDE);
        limits.max_image_height = Some(MAX_SIDE);
        limits.max_alloc = Some(MAX_DECODED_BYTES);
        reader.limits(limits);
        let mut decoder = reader.into_decoder().map_err(invalid)?;
        // Broken EXIF or ICC data is no reason to refuse the pixels.
        let orientation = decoder.orientation().unwrap_or(Orientation::NoTransforms);
        let icc_profile = decoder.icc_profile().ok().flatten();
        let mut image = DynamicImage::from_decoder(decoder).map_err(invalid)?;
        image.apply_orientation(orientation);
        Ok(Decoded { image, icc_profile })
    }))
    .unwrap_or_else(|_| Err(MediaError::InvalidImage("the decoder failed on this file".to_owned())))
}

/// The largest size within `spec` with the image's aspect ratio, never larger than the image.
fn fit_within(width: u32, height: u32, spec: &VariantSpec) -> (u32, u32) {
    let (mut w, mut h) = (u64::from(width.max(1)), u64::from(height.max(1)));
    let (max_w, max_h) = (u64::from(spec.max_width.max(1)), u64::from(spec.max_height.max(1)));
    if w > max_w {
        h = (h * max_w + w / 2) / w;
        w = max_w;
    }
    if h > max_h {
        w = (w * max_h + h / 2) / h;
        h = max_h;
    }
    if let Some(max_pixels) = spec.max_pixels {
        if w * h > max_pixels {
            let factor = (max_pixels as f64 / (w * h) as f64).sqrt();
            w = (w as f64 * factor).floor() as u64;
            h = (h as f64 * factor).floor() as u64;
            // Floating point may leave it one row over.
            while w * h > max_pixels && w > 1 && h > 1 {
                if w >= h {
                    w -= 1
                } else {
                    h -= 1
                }
            }
        }
    }
    // Each is at most its u32 starting value.
    (w.max(1) as u32, h.max(1) as u32)
}

fn scale(side: u32, factor: f64) -> u32 {
    ((f64::from(side) * factor).floor() as u32).max(1)
}

fn resize(image: &DynamicImage, (width, height): (u32, u32)) -> DynamicImage {
    if image.width() == width && image.height() == height {
        return image.clone();
    }
    // A large reduction first goes to twice the target with cheap box sampling, so the
    // sharper filter only runs over a few times the output's pixels, not the whole photo.
    if image.width() >= width.saturating_mul(3) && image.height() >= height.saturating_mul(3) {
        return image.thumbnail_exact(width * 2, height * 2).resize_exact(width, height, FilterType::CatmullRom);
    }
    image.resize_exact(width, height, FilterType::CatmullRom)
}

/// True when at least one pixel is not fully opaque (an alpha channel alone is not enough:
/// many PNGs carry one that is opaque everywhere, and those are smaller as JPEG).
fn has_transparency(image: &DynamicImage) -> bool {
    match image {
        DynamicImage::ImageRgba8(buffer) => buffer.pixels().any(|p| p.0[3] < u8::MAX),
        DynamicImage::ImageLumaA8(buffer) => buffer.pixels().any(|p| p.0[1] < u8::MAX),
        other if other.color().has_alpha() => other.to_rgba8().pixels().any(|p| p.0[3] < u8::MAX),
        _ => false,
    }
}

fn flatten_on_white(image: &DynamicImage) -> image::RgbImage {
    if !image.color().has_alpha() {
        return image.to_rgb8();
    }
    let rgba = image.to_rgba8();
    image::RgbImage::from_fn(rgba.width(), rgba.height(), |x, y| {
        let [r, g, b, a] = rgba.get_pixel(x, y).0;
        let blend = |c: u8| ((u16::from(c) * u16::from(a) + 255 * u16::from(u8::MAX - a) + 127) / 255) as u8;
        image::Rgb([blend(r), blend(g), blend(b)])
    })
}

fn encode_jpeg(image: &DynamicImage, quality: u8, icc_profile: Option<&[u8]>) -> Result<Vec<u8>, MediaError> {
    let rgb = image.to_rgb8();
    let mut out = Vec::new();
    let mut encoder = JpegEncoder::new_with_quality(&mut out, quality);
    if let Some(icc) = icc_profile {
        // Best effort: an unsupported profile just leaves the image untagged (sRGB).
        let _ = encoder.set_icc_profile(icc.to_vec());
    }
    encoder.write_image(rgb.as_raw(), rgb.width(), rgb.height(), ExtendedColorType::Rgb8).map_err(invalid)?;
    Ok(out)
}

fn encode_png(image: &DynamicImage, icc_profile: Option<&[u8]>) -> Result<Vec<u8>, MediaError> {
    let rgba = image.to_rgba8();
    let mut out = Vec::new();
    let mut encoder = PngEncoder::new_with_quality(&mut out, CompressionType::Default, PngFilter::Adaptive);
    if let Some(icc) = icc_profile {
        let _ = encoder.set_icc_profile(icc.to_vec());
    }
    encoder.write_image(rgba.as_raw(), rgba.width(), rgba.height(), ExtendedColorType::Rgba8).map_err(invalid)?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(max_width: u32, max_height: u32, max_pixels: Option<u64>) -> VariantSpec {
        VariantSpec { max_width, max_height, max_pixels, max_bytes: None, output: OutputFormat::JpegOrPng }
    }

    #[test]
    fn fit_keeps_aspect_and_never_upscales() {
        assert_eq!(fit_within(4000, 3000, &spec(1080, 1350, None)), (1080, 810));
        assert_eq!(fit_within(3000, 4000, &spec(1080, 1350, None)), (1013, 1350));
        assert_eq!(fit_within(100, 50, &spec(1080, 1350, None)), (100, 50));
        assert_eq!(fit_within(3000, 1, &spec(320, 320, None)), (320, 1));
        let (w, h) = fit_within(7680, 4320, &spec(7680, 7680, Some(8_294_400)));
        assert!(w * h <= 8_294_400 && w >= 3839 && h >= 2159, "{w}x{h}");
    }
}
