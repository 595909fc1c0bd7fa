//! A post's state machine: its statuses, what each allows, and how the status of a post that
//! is going out follows from the statuses of its variants (one per target channel).

use crate::variant::VariantStatus;

crate::text_enum! {
    /// Where a post stands. The approval states (`pending_approval`, `changes_requested`,
    /// `approved`) belong to the approval workflow; the rest to scheduling and publishing.
    pub enum PostStatus {
        Draft = "draft",
        PendingApproval = "pending_approval",
        ChangesRequested = "changes_requested",
        Approved = "approved",
        Scheduled = "scheduled",
        /// At least one variant is going out (or waits while others are already out).
        Publishing = "publishing",
        Published = "published",
        /// Every variant settled, some published and some failed.
        PartiallyPublished = "partially_published",
        Failed = "failed",
    }
}

impl PostStatus {
    /// Its name in a sentence ("partially published").
    pub fn words(self) -> String {
        self.as_str().replace('_', " ")
    }

    /// Its name on a badge or in a menu ("Partially published").
    pub fn label(self) -> String {
        let words = self.words();
        let mut chars = words.chars();
        chars.next().map(|c| c.to_uppercase().chain(chars).collect()).unwrap_or_default()
    }

    /// Content and targets can change: not while going out, not once out.
    pub fn can_edit(self) -> bool {
        matches!(self, Self::Draft | Self::Scheduled | Self::Failed | Self::ChangesRequested)
    }

    /// Can be given a time (or a new one) to go out.
    pub fn can_schedule(self) -> bool {
        matches!(self, Self::Draft | Self::Scheduled | Self::Failed | Self::Approved | Self::ChangesRequested)
    }

    /// Can go back to a draft (its waiting jobs are cancelled).
    pub fn can_unschedule(self) -> bool {
        self == Self::Scheduled
    }

    /// Can be dragged to another day on the calendar.
    pub fn can_move(self) -> bool {
        matches!(self, Self::Scheduled | Self::Draft)
    }

    /// Some of it is on the platforms: the post has a publish time.
    pub fn is_out(self) -> bool {
        matches!(self, Self::Published | Self::PartiallyPublished)
    }

    /// The status of a channel newly added to a post in this status.
    pub fn new_target_status(self) -> VariantStatus {
        if self == Self::Scheduled {
            VariantStatus::Scheduled
        } else {
            VariantStatus::Draft
        }
    }

    /// The status once scheduled, or None when this status cannot be scheduled.
    pub fn schedule(self) -> Option<PostStatus> {
        self.can_schedule().then_some(Self::Scheduled)
    }

    /// The status once unscheduled, or None when this status cannot be unscheduled.
    pub fn unschedule(self) -> Option<PostStatus> {
        self.can_unschedule().then_some(Self::Draft)
    }

    /// The post's status from its variants' statuses; `self` (the current status) when there are
    /// none, or when they say nothing about publishing (all drafts).
    pub fn from_variants(self, variants: impl IntoIterator<Item = VariantStatus>) -> PostStatus {
        let (mut n, mut published, mut failed, mut in_flight, mut waiting) = (0, 0, 0, 0, 0);
        for v in variants {
            n += 1;
            match v {
                VariantStatus::Published => published += 1,
                VariantStatus::Failed => failed += 1,
                VariantStatus::Publishing | VariantStatus::Unconfirmed => in_flight += 1,
                VariantStatus::Scheduled | VariantStatus::Held => waiting += 1,
                VariantStatus::Draft => {}
            }
        }
        if n == 0 {
            self
        } else if published == n {
            Self::Published
        } else if failed == n {
            Self::Failed
        } else if published + failed == n {
            Self::PartiallyPublished
        } else if in_flight > 0 || (waiting > 0 && published + failed > 0) {
            Self::Publishing
        } else if waiting > 0 {
            Self::Scheduled
        } else {
            self
        }
    }
}

#[cfg(test)]
mod tests {
    use super::PostStatus::{self, *};
    use crate::variant::VariantStatus as V;

    /// status, can_edit, can_schedule, can_unschedule, can_move, is_out
    const TABLE: [(PostStatus, bool, bool, bool, bool, bool); 9] = [
        (Draft, true, true, false, true, false),
        (PendingApproval, false, false, false, false, false),
        (ChangesRequested, true, true, false, false, false),
        (Approved, false, true, false, false, false),
        (Scheduled, true, true, true, true, false),
        (Publishing, false, false, false, false, false),
        (Published, false, false, false, false, true),
        (PartiallyPublished, false, false, false, false, true),
        (Failed, true, true, false, false, false),
    ];

    #[test]
    fn what_each_status_allows() {
        assert_eq!(TABLE.len(), PostStatus::ALL.len());
        for (s, edit, schedule, unschedule, move_, out) in TABLE {
            assert_eq!(
                (s.can_edit(), s.can_schedule(), s.can_unschedule(), s.can_move(), s.is_out()),
                (edit, schedule, unschedule, move_, out),
                "{s}"
            );
            assert_eq!(s.schedule(), schedule.then_some(Scheduled), "{s}");
            assert_eq!(s.unschedule(), unschedule.then_some(Draft), "{s}");
        }
    }

    #[test]
    fn status_follows_the_variants() {
        let cases: &[(&[V], PostStatus, PostStatus)] = &[
            (&[], Draft, Draft),
            (&[], Scheduled, Scheduled),
            (&[V::Draft, V::Draft], Draft, Draft),
            (&[V::Draft], Approved, Approved),
            (&[V::Scheduled, V::Scheduled], Draft, Scheduled),
            (&[V::Held], Scheduled, Scheduled),
            (&[V::Scheduled, V::Publishing], Scheduled, Publishing),
            (&[V::Unconfirmed], Scheduled, Publishing),
            (&[V::Published, V::Scheduled], Scheduled, Publishing),
            (&[V::Failed, V::Held], Publishing, Publishing),
            (&[V::Published, V::Published], Publishing, Published),
            (&[V::Failed, V::Failed], Publishing, Failed),
            (&[V::Published, V::Failed], Publishing, PartiallyPublished),
            (&[V::Published, V::Draft], Publishing, Publishing),
        ];
        for (variants, current, expected) in cases {
            assert_eq!(current.from_variants(variants.iter().copied()), *expected, "{variants:?} from {current}");
        }
    }

    #[test]
    fn new_targets_wait_only_on_a_scheduled_post() {
        for p in PostStatus::ALL {
            let expected = if *p == Scheduled { V::Scheduled } else { V::Draft };
            assert_eq!(p.new_target_status(), expected, "{p}");
        }
    }

    #[test]
    fn labels_read_as_words() {
        assert_eq!(PartiallyPublished.label(), "Partially published");
        assert_eq!(ChangesRequested.words(), "changes requested");
        assert_eq!(Draft.label(), "Draft");
    }
}
