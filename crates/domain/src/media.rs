//! An upload's state machine: images are processed into platform variants after upload; a
//! video (or an image once processed) is ready; processing can fail.

crate::text_enum! {
    pub enum MediaStatus {
        Processing = "processing",
        Ready = "ready",
        Failed = "failed",
    }
}

impl MediaStatus {
    /// The status right after upload: images wait for their variants.
    pub fn on_upload(is_image: bool) -> MediaStatus {
        if is_image {
            Self::Processing
        } else {
            Self::Ready
        }
    }

    /// The status once processing ended, with or without a failure.
    pub fn on_processed(failed: bool) -> MediaStatus {
        if failed {
            Self::Failed
        } else {
            Self::Ready
        }
    }

    /// A post cannot use it.
    pub fn is_unusable(self) -> bool {
        self == Self::Failed
    }
}

#[cfg(test)]
mod tests {
    use super::MediaStatus::{self, *};

    #[test]
    fn transitions() {
        let table: [(bool, MediaStatus, MediaStatus); 2] = [(true, Processing, Failed), (false, Ready, Ready)];
        for (flag, upload, processed) in table {
            assert_eq!((MediaStatus::on_upload(flag), MediaStatus::on_processed(flag)), (upload, processed));
        }
        assert_eq!(MediaStatus::ALL.iter().filter(|s| s.is_unusable()).collect::<Vec<_>>(), [&Failed]);
    }
}
