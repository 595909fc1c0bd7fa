//! Type detection by content, and the upload size limits.

use crate::common::*;
use image::ImageFormat;
use sellcast_media::{sniff, validate, MediaError, MediaKind, MediaLimits, MediaType};

#[test]
fn every_accepted_type_is_recognised_with_its_mime_and_kind() {
    let picture = gradient(16, 12);
    let cases: Vec<(Vec<u8>, MediaType, &str, MediaKind)> = vec![
        (encode(&picture, ImageFormat::Jpeg), MediaType::Jpeg, "image/jpeg", MediaKind::Image),
        (encode(&picture, ImageFormat::Png), MediaType::Png, "image/png", MediaKind::Image),
        (encode(&picture, ImageFormat::WebP), MediaType::Webp, "image/webp", MediaKind::Image),
        (encode(&picture, ImageFormat::Gif), MediaType::Gif, "image/gif", MediaKind::Image),
        (movie(ftyp(b"isom", &[b"isom", b"avc1"]), vec![]), MediaType::Mp4, "video/mp4", MediaKind::Video),
        (movie(ftyp(b"mp42", &[b"mp42", b"isom"]), vec![]), MediaType::Mp4, "video/mp4", MediaKind::Video),
        (movie(ftyp(b"qt  ", &[b"qt  "]), vec![]), MediaType::Mov, "video/quicktime", MediaKind::Video),
        // Old QuickTime files have no ftyp and start straight with an atom.
        (movie(Vec::new(), vec![]), MediaType::Mov, "video/quicktime", MediaKind::Video),
        ([atom(b"wide", &[]), atom(b"mdat", &[1; 32])].concat(), MediaType::Mov, "video/quicktime", MediaKind::Video),
    ];
    for (bytes, expected, mime, kind) in cases {
        let sniffed = sniff(&bytes);
        assert_eq!(sniffed, Some(expected), "first bytes {:02x?}", &bytes[..12]);
        assert_eq!(expected.mime(), mime);
        assert_eq!(expected.kind(), kind);
        assert_eq!(MediaType::from_mime(mime), Some(expected));
    }
}

#[test]
fn mp4_and_mov_are_told_apart_by_the_ftyp_brand() {
    let mp4 = movie(ftyp(b"isom", &[b"isom", b"iso2", b"mp41"]), vec![]);
    let mov = movie(ftyp(b"qt  ", &[b"qt  "]), vec![]);
    assert_eq!(sniff(&mp4), Some(MediaType::Mp4));
    assert_eq!(sniff(&mov), Some(MediaType::Mov));
    // Same container, other contents: audio, HEIC photos, AVIF, 3GP are not accepted.
    for brand in [b"M4A ", b"heic", b"mif1", b"avif", b"3gp4"] {
        assert_eq!(sniff(&movie(ftyp(brand, &[b"isom"]), vec![])), None, "{}", String::from_utf8_lossy(brand));
    }
}

#[test]
fn the_name_does_not_matter_only_the_content() {
    // A PNG saved as photo.jpg is a PNG; a text file renamed .png is nothing.
    let png_named_jpg = encode(&gradient(8, 8), ImageFormat::Png);
    assert_eq!(sniff(&png_named_jpg), Some(MediaType::Png));
    assert_eq!(sniff(b"hello, this is a text file pretending to be image.png\n"), None);
    assert_eq!(sniff(b"<svg xmlns=\"http://www.w3.org/2000/svg\"></svg>"), None);
    assert_eq!(sniff(b"%PDF-1.7\n"), None);
    assert_eq!(sniff(b"BM\x36\x00\x00\x00"), None, "BMP is not accepted");
    assert_eq!(sniff(b"RIFF\x24\x00\x00\x00WAVEfmt "), None, "RIFF but not WebP");
    assert_eq!(sniff(&[]), None);
}

#[test]
fn truncated_headers_are_not_recognised() {
    let cases: Vec<Vec<u8>> = vec![
        vec![0xFF, 0xD8],                                 // JPEG SOI without the next marker
        b"\x89PNG\r\n\x1a".to_vec(),                      // 7 of the 8 signature bytes
        b"GIF89".to_vec(),                                // no version letter
        b"RIFF\x00\x00\x00\x00WEBP".to_vec(),             // no chunk after WEBP
        b"RIFF\x00\x00\x00\x00WEBPVP8".to_vec(),          // chunk name cut
        b"\x00\x00\x00\x18ftypis".to_vec(),               // brand cut
        b"\x00\x00\x00\x0cftypisom".to_vec(),             // ftyp box too small to be real
        b"\x00\x00\x00\x18ftyp".to_vec(),                 // nothing after the box type
        b"\x00\x00\x00\x04moov\x00\x00\x00\x00".to_vec(), // atom smaller than its own header
    ];
    for bytes in cases {
        assert_eq!(sniff(&bytes), None, "{:02x?}", bytes);
    }
}

#[test]
fn from_mime_refuses_unknown_types() {
    assert_eq!(MediaType::from_mime("image/svg+xml"), None);
    assert_eq!(MediaType::from_mime("IMAGE/JPEG"), Some(MediaType::Jpeg));
    for t in MediaType::ALL {
        assert_eq!(MediaType::from_mime(t.mime()), Some(t));
        assert!(!t.extension().is_empty());
    }
}

#[test]
fn default_limits_are_seed_000s() {
    let limits = MediaLimits::default();
    assert_eq!(limits.max_image_bytes, 10 * 1024 * 1024);
    assert_eq!(limits.max_video_bytes, 100 * 1024 * 1024);
}

#[test]
fn limits_apply_by_kind_exactly_at_the_boundary() {
    let limits = MediaLimits::default();
    assert!(validate(10 * 1024 * 1024, MediaType::Png, &limits).is_ok());
    assert!(validate(100 * 1024 * 1024, MediaType::Mov, &limits).is_ok());
    // A 50 MB video is fine; a 50 MB image is not.
    assert!(validate(50 * 1024 * 1024, MediaType::Mp4, &limits).is_ok());
    let too_big = validate(10 * 1024 * 1024 + 1, MediaType::Jpeg, &limits).unwrap_err();
    assert!(matches!(too_big, MediaError::TooLarge { kind: MediaKind::Image, size: 10_485_761, max: 10_485_760 }));
    assert_eq!(
        too_big.to_string(),
        "image is too large: 10,485,761 bytes (10.0 MB); the limit for images is 10,485,760 bytes (10.0 MB)"
    );
    let video = validate(150 * 1024 * 1024, MediaType::Mp4, &limits).unwrap_err();
    assert_eq!(
        video.to_string(),
        "video is too large: 157,286,400 bytes (150.0 MB); the limit for videos is 104,857,600 bytes (100.0 MB)"
    );
    assert!(matches!(validate(0, MediaType::Gif, &limits), Err(MediaError::Empty)));
}

#[test]
fn limits_are_configurable() {
    let limits = MediaLimits { max_image_bytes: 1000, max_video_bytes: 5000 };
    assert!(validate(1000, MediaType::Webp, &limits).is_ok());
    assert!(matches!(validate(1001, MediaType::Webp, &limits), Err(MediaError::TooLarge { max: 1000, .. })));
    assert!(validate(5000, MediaType::Mov, &limits).is_ok());
    assert!(matches!(validate(5001, MediaType::Mov, &limits), Err(MediaError::TooLarge { max: 5000, .. })));
}
