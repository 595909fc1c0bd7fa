//! Width and height of MP4/MOV uploads from the track header.

use crate::common::*;
use sellcast_media::{inspect, video_dimensions, MediaError};

#[test]
fn reads_the_picture_track_of_an_mp4() {
    let file = movie(ftyp(b"isom", &[b"isom"]), vec![trak(tkhd(0, 1920, 1080, false))]);
    assert_eq!(video_dimensions(&file).unwrap(), (1920, 1080));
    assert_eq!(inspect(&file).unwrap(), (1920, 1080));
}

#[test]
fn reads_version_1_headers_and_mov_files() {
    let file = movie(ftyp(b"qt  ", &[b"qt  "]), vec![trak(tkhd(1, 3840, 2160, false))]);
    assert_eq!(inspect(&file).unwrap(), (3840, 2160));
}

#[test]
fn skips_audio_tracks() {
    let file = movie(ftyp(b"mp42", &[]), vec![trak(tkhd(0, 0, 0, false)), trak(tkhd(0, 720, 1280, false))]);
    assert_eq!(video_dimensions(&file).unwrap(), (720, 1280));
}

#[test]
fn a_rotated_track_reports_its_displayed_size() {
    // An iPhone portrait video: stored 1920×1080 with a 90° matrix, shown 1080×1920.
    let file = movie(ftyp(b"qt  ", &[]), vec![trak(tkhd(0, 1920, 1080, true))]);
    assert_eq!(video_dimensions(&file).unwrap(), (1080, 1920));
}

#[test]
fn moov_after_mdat_and_64_bit_sizes_are_read() {
    let moov = atom(b"moov", &trak(tkhd(0, 640, 480, false)));
    // mdat with size 1 and a 64-bit length.
    let mut mdat = 1u32.to_be_bytes().to_vec();
    mdat.extend_from_slice(b"mdat");
    mdat.extend_from_slice(&(16u64 + 10).to_be_bytes());
    mdat.extend_from_slice(&[0; 10]);
    let file = [ftyp(b"isom", &[]), mdat, moov].concat();
    assert_eq!(video_dimensions(&file).unwrap(), (640, 480));
}

#[test]
fn broken_files_give_errors_not_panics() {
    let good = movie(ftyp(b"isom", &[b"isom"]), vec![trak(tkhd(0, 1280, 720, false))]);
    for len in 0..good.len() {
        let result = video_dimensions(&good[..len]);
        // Cut anywhere, the moov box (which comes before mdat here) is incomplete or absent.
        if len < good.len() - 72 {
            assert!(matches!(result, Err(MediaError::InvalidVideo(_))), "cut at {len}: {result:?}");
        }
    }
    let no_moov = [ftyp(b"isom", &[]), atom(b"mdat", &[0; 8])].concat();
    assert!(matches!(video_dimensions(&no_moov), Err(MediaError::InvalidVideo(_))));
    let no_picture = movie(ftyp(b"isom", &[]), vec![trak(tkhd(0, 0, 0, false))]);
    assert!(matches!(video_dimensions(&no_picture), Err(MediaError::InvalidVideo(_))));
    let mut lying_size = good.clone();
    lying_size[0..4].copy_from_slice(&u32::MAX.to_be_bytes());
    assert!(video_dimensions(&lying_size).is_err());
}
