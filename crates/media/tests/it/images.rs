//! Dimensions, variants, metadata stripping and resilience to broken images.

use crate::common::*;
use image::{GenericImageView, ImageFormat};
use sellcast_media::{
    derive, derive_with, inspect, sniff, MediaError, MediaType, OutputFormat, Platform, Variant, VariantSpec,
};

fn decode(bytes: &[u8]) -> image::DynamicImage {
    image::load_from_memory(bytes).unwrap()
}

#[test]
fn inspect_reads_every_image_type() {
    let picture = gradient(300, 200);
    for format in [ImageFormat::Jpeg, ImageFormat::Png, ImageFormat::WebP, ImageFormat::Gif] {
        assert_eq!(inspect(&encode(&picture, format)).unwrap(), (300, 200), "{format:?}");
    }
    assert!(matches!(inspect(b"just text"), Err(MediaError::UnsupportedType)));
}

#[test]
fn variants_fit_their_box_and_keep_the_aspect_ratio() {
    let original = encode(&gradient(2400, 1800), ImageFormat::Jpeg);
    for variant in Variant::all() {
        let spec = variant.spec();
        let out = derive(&original, variant).unwrap();
        assert!(
            out.width <= spec.max_width && out.height <= spec.max_height,
            "{variant:?}: {}x{}",
            out.width,
            out.height
        );
        if let Some(max_pixels) = spec.max_pixels {
            assert!(u64::from(out.width) * u64::from(out.height) <= max_pixels, "{variant:?}");
        }
        if let Some(max_bytes) = spec.max_bytes {
            assert!(out.bytes.len() as u64 <= max_bytes, "{variant:?}: {} bytes", out.bytes.len());
        }
        let ratio = f64::from(out.width) / f64::from(out.height);
        assert!((ratio - 4.0 / 3.0).abs() < 0.01, "{variant:?}: ratio {ratio}");
        // What the struct says is what the bytes are.
        assert_eq!(sniff(&out.bytes), Some(out.media_type));
        assert_eq!(decode(&out.bytes).dimensions(), (out.width, out.height), "{variant:?}");
    }
}

#[test]
fn thumbnail_is_a_320_pixel_box() {
    let landscape = derive(&encode(&gradient(1600, 900), ImageFormat::Png), Variant::Thumbnail).unwrap();
    assert_eq!((landscape.width, landscape.height), (320, 180));
    assert_eq!(landscape.media_type, MediaType::Jpeg, "opaque PNG becomes a JPEG");
    let portrait = derive(&encode(&gradient(900, 1600), ImageFormat::WebP), Variant::Thumbnail).unwrap();
    assert_eq!((portrait.width, portrait.height), (180, 320));
}

#[test]
fn small_images_are_never_upscaled() {
    let out = derive(&encode(&gradient(200, 100), ImageFormat::Gif), Variant::For(Platform::Instagram)).unwrap();
    assert_eq!((out.width, out.height), (200, 100));
}

#[test]
fn instagram_gets_1080_wide_jpeg() {
    let out = derive(&encode(&gradient(3000, 2000), ImageFormat::Png), Variant::For(Platform::Instagram)).unwrap();
    assert_eq!((out.width, out.height), (1080, 720));
    assert_eq!(out.media_type, MediaType::Jpeg);
}

#[test]
fn exif_and_everything_in_it_is_stripped() {
    let jpeg = encode(&gradient(640, 480), ImageFormat::Jpeg);
    let with_exif = insert_after_soi(&jpeg, &exif_segment(1));
    assert!(contains(&with_exif, b"Exif\0\0") && contains(&with_exif, SECRET), "the input carries EXIF");
    assert_eq!(inspect(&with_exif).unwrap(), (640, 480));
    for variant in Variant::all() {
        let out = derive(&with_exif, variant).unwrap();
        assert!(!contains(&out.bytes, b"Exif"), "{variant:?} kept an Exif block");
        assert!(!contains(&out.bytes, SECRET), "{variant:?} kept the EXIF contents");
        assert!(!out.bytes.windows(2).any(|m| m == [0xFF, 0xE1]), "{variant:?} has an APP1 segment");
    }
}

#[test]
fn exif_orientation_is_applied_before_it_is_dropped() {
    // Stored 40×20 with red on the left and blue on the right; EXIF 6 says "rotate 90° clockwise".
    let stored = image::DynamicImage::ImageRgb8(image::RgbImage::from_fn(40, 20, |x, _| {
        if x < 20 {
            image::Rgb([255, 0, 0])
        } else {
            image::Rgb([0, 0, 255])
        }
    }));
    let with_exif = insert_after_soi(&jpeg_with_quality(&stored, 95), &exif_segment(6));
    assert_eq!(inspect(&with_exif).unwrap(), (20, 40), "displayed size");
    let out = derive(&with_exif, Variant::Thumbnail).unwrap();
    assert_eq!((out.width, out.height), (20, 40));
    // After the turn, the left edge is at the top: red above, blue below.
    let shown = decode(&out.bytes).to_rgb8();
    let top = shown.get_pixel(10, 5).0;
    let bottom = shown.get_pixel(10, 35).0;
    assert!(top[0] > 200 && top[2] < 60, "top {top:?}");
    assert!(bottom[2] > 200 && bottom[0] < 60, "bottom {bottom:?}");
}

#[test]
fn bluesky_variant_is_at_most_1_000_000_bytes() {
    // Noise at high quality is far bigger than the cap: quality, then size, must come down.
    let original = jpeg_with_quality(&noise(2400, 1800), 95);
    assert!(original.len() > 3_000_000, "the input is {} bytes", original.len());
    let out = derive(&original, Variant::For(Platform::Bluesky)).unwrap();
    assert!(out.bytes.len() <= 1_000_000, "{} bytes", out.bytes.len());
    assert!(out.width <= 2000 && out.height <= 2000);
    assert!(out.width >= 500, "shrunk more than needed: {}x{}", out.width, out.height);
    assert_eq!(decode(&out.bytes).dimensions(), (out.width, out.height));
}

#[test]
fn transparency_is_kept_as_png_where_allowed_and_flattened_on_white_for_jpeg_only_platforms() {
    let png = encode(&half_transparent(400, 200), ImageFormat::Png);
    let thumb = derive(&png, Variant::Thumbnail).unwrap();
    assert_eq!(thumb.media_type, MediaType::Png);
    let pixels = decode(&thumb.bytes).to_rgba8();
    assert_eq!(pixels.get_pixel(300, 100).0[3], 0, "the transparent half stays transparent");

    let instagram = derive(&png, Variant::For(Platform::Instagram)).unwrap();
    assert_eq!(instagram.media_type, MediaType::Jpeg);
    let flat = decode(&instagram.bytes).to_rgb8();
    let right = flat.get_pixel(300, 100).0;
    assert!(right.iter().all(|&c| c > 240), "transparent becomes white, got {right:?}");
}

#[test]
fn a_transparent_png_under_a_byte_cap_is_shrunk_and_stays_png() {
    let mut noisy = noise(1200, 1200).to_rgba8();
    for (x, _, pixel) in noisy.enumerate_pixels_mut() {
        if x % 2 == 0 {
            pixel.0[3] = 100;
        }
    }
    let png = encode(&image::DynamicImage::ImageRgba8(noisy), ImageFormat::Png);
    assert!(png.len() > 1_000_000);
    let out = derive(&png, Variant::For(Platform::Bluesky)).unwrap();
    assert_eq!(out.media_type, MediaType::Png);
    assert!(out.bytes.len() <= 1_000_000, "{} bytes", out.bytes.len());
}

#[test]
fn an_impossible_byte_cap_is_a_clean_error() {
    let spec = VariantSpec {
        max_width: 1000,
        max_height: 1000,
        max_pixels: None,
        max_bytes: Some(100),
        output: OutputFormat::JpegOnly,
    };
    let result = derive_with(&encode(&noise(500, 500), ImageFormat::Png), &spec);
    assert!(matches!(result, Err(MediaError::CannotFit { max_bytes: 100 })), "{result:?}");
}

#[test]
fn videos_and_unknown_bytes_are_not_derived() {
    let mp4 = movie(ftyp(b"isom", &[]), vec![trak(tkhd(0, 640, 480, false))]);
    assert!(matches!(derive(&mp4, Variant::Thumbnail), Err(MediaError::NotAnImage(MediaType::Mp4))));
    assert!(matches!(derive(b"nope", Variant::Thumbnail), Err(MediaError::UnsupportedType)));
}

#[test]
fn truncated_images_give_errors_never_panics() {
    let picture = gradient(48, 32);
    for format in [ImageFormat::Jpeg, ImageFormat::Png, ImageFormat::WebP, ImageFormat::Gif] {
        let bytes = encode(&picture, format);
        for len in 0..bytes.len() {
            let cut = &bytes[..len];
            let inspected = inspect(cut);
            let derived = derive(cut, Variant::Thumbnail);
            // Headers cut short can never decode; later cuts may (JPEG decoders pad missing data).
            if len < 24 {
                assert!(inspected.is_err() && derived.is_err(), "{format:?} cut at {len}");
            }
            if let Ok((w, h)) = inspected {
                assert_eq!((w, h), (48, 32), "{format:?} cut at {len}");
            }
        }
    }
}

#[test]
fn a_valid_header_over_garbage_is_an_invalid_image() {
    for format in [ImageFormat::Jpeg, ImageFormat::Png, ImageFormat::WebP, ImageFormat::Gif] {
        let mut bytes = encode(&gradient(48, 32), format);
        let keep = 30.min(bytes.len());
        for (i, b) in bytes[keep..].iter_mut().enumerate() {
            *b = (i as u8).wrapping_mul(37) ^ 0x5A;
        }
        match derive(&bytes, Variant::Thumbnail) {
            Err(MediaError::InvalidImage(message)) => assert!(!message.is_empty()),
            Ok(out) => assert!(out.width > 0, "{format:?}"),
            Err(other) => panic!("{format:?}: unexpected {other:?}"),
        }
    }
}

#[test]
fn a_decompression_bomb_is_refused() {
    // A tiny PNG claiming 30000×30000 pixels: refused before allocating gigabytes.
    let mut png = encode(&gradient(2, 2), ImageFormat::Png);
    png[16..20].copy_from_slice(&30_000u32.to_be_bytes());
    png[20..24].copy_from_slice(&30_000u32.to_be_bytes());
    assert!(matches!(inspect(&png), Err(MediaError::InvalidImage(_))));
}

mod fuzz {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

        #[test]
        fn arbitrary_bytes_behind_a_real_magic_never_panic(
            magic in prop::sample::select(vec![
                b"\xFF\xD8\xFF".to_vec(),
                b"\x89PNG\r\n\x1a\n".to_vec(),
                b"GIF89a".to_vec(),
                b"RIFF\x40\x00\x00\x00WEBPVP8 ".to_vec(),
                b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomavc1".to_vec(),
            ]),
            tail in prop::collection::vec(any::<u8>(), 0..600),
        ) {
            let bytes = [magic, tail].concat();
            let _ = inspect(&bytes);
            let _ = derive(&bytes, Variant::Thumbnail);
        }

        #[test]
        fn bit_flips_in_a_valid_jpeg_never_panic(
            flips in prop::collection::vec((0usize..2000, any::<u8>()), 1..8),
        ) {
            let mut bytes = encode(&gradient(40, 30), ImageFormat::Jpeg);
            // Flips in the frame header could claim a legitimately huge (slow) picture; the
            // decoding limits are tested on their own above.
            let sof = bytes.windows(2).position(|m| m == [0xFF, 0xC0]).unwrap_or(0);
            for (at, value) in flips {
                let at = at % bytes.len();
                if !(sof..sof + 10).contains(&at) {
                    bytes[at] ^= value;
                }
            }
            if let Ok((w, h)) = inspect(&bytes) {
                prop_assert!(w > 0 && h > 0);
            }
            let _ = derive(&bytes, Variant::For(Platform::Bluesky));
        }
    }
}
