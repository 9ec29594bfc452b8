//! The hazard closed loop (隐患闭环) as an append-only event map. Status is a deterministic fold
//! of the events sorted by device time then event id: two devices that recorded different events
//! keep both and compute the same status. An event that does not fit the state it reaches in the
//! fold (possible only after merging offline work) is kept but marked not applied.

use serde::{Deserialize, Serialize};

use crate::model::RiskGrade;

/// One step of a hazard's closed loop, stored under its id in the hazard's `events` map.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct HazardEvent {
    /// The key it is stored under in `events` (a UUID): the second key of the fold order.
    #[serde(default)]
    pub id: String,
    /// What happened, with its details (the event's `type` and that type's fields).
    #[serde(flatten)]
    pub kind: HazardEventKind,
    /// The user id of its author (the gate checks it is the author of the change that added it).
    pub by: String,
    /// The author's display name when it was recorded (empty when not recorded).
    #[serde(default)]
    pub by_name: String,
    /// When it happened, UTC milliseconds by the recording device's clock: the first key of the
    /// fold order.
    pub at_ms: i64,
    /// The recording device's UTC offset in minutes east, to show the local time it was recorded.
    #[serde(default)]
    pub offset_minutes: i32,
    /// The author's remark on this step (`None`: none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// The account the sync server verified as the pusher of the change that recorded this
    /// event (`None`: not yet confirmed by the server). Never read from the document.
    #[serde(skip)]
    pub verified_by: Option<String>,
    /// The server found the change that recorded this event stamped, by the device's clock,
    /// after the server received it (`clock_ahead`): its time is not to be trusted. Never read
    /// from the document.
    #[serde(skip)]
    pub clock_ahead: bool,
}

impl HazardEvent {
    /// A new event by `user` at `now`, with a fresh id.
    pub fn new(
        kind: HazardEventKind,
        user: &crate::model::User,
        now: crate::model::Timestamp,
        note: Option<&str>,
    ) -> HazardEvent {
        HazardEvent {
            id: crate::model::RecordId::new().0,
            kind,
            by: user.id.clone(),
            by_name: user.name.clone(),
            at_ms: now.unix_ms,
            offset_minutes: now.offset_minutes,
            note: note.map(str::to_owned),
            verified_by: None,
            clock_ahead: false,
        }
    }
}

/// What a hazard event records: one step of the closed loop, stored as the event's `type`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum HazardEventKind {
    /// 发现/登记.
    Raised {
        /// The grade given when raising it (`None`: graded later, by a `graded` event).
        #[serde(default)]
        grade: Option<RiskGrade>,
        /// Raised as a major hazard (重大隐患); a red grade makes it major anyway.
        #[serde(default)]
        major: bool,
    },
    /// 评估分级.
    Graded {
        /// The grade given.
        grade: RiskGrade,
        /// Graded a major hazard (重大隐患); a red grade makes it major anyway.
        major: bool,
    },
    /// 下达整改: who (unit, person), by when, what to do.
    RectificationOrdered {
        /// The responsible unit (责任单位).
        unit: String,
        /// The user id of the responsible person (责任人): the hazard's assignee.
        person: String,
        /// The responsible person's display name when ordered (empty when not recorded).
        #[serde(default)]
        person_name: String,
        /// The rectification deadline (期限), UTC ms; past it, the hazard is overdue.
        deadline_ms: i64,
        /// What is to be done (整改措施).
        measures: String,
    },
    /// 提交整改, with after-photos (SHA-256).
    RectificationSubmitted {
        /// SHA-256 (hex) of the after-photos, attached to the hazard's `photos` map.
        #[serde(default)]
        photos: Vec<String>,
    },
    /// 复查: passed, or sent back (退回整改).
    Reinspected {
        /// `true`: 复查通过 (verified); `false`: 退回整改 (sent back).
        passed: bool,
    },
    /// 超期 / 挂牌督办: escalated one level.
    Escalated,
    /// 销号.
    Closed,
    /// 核销: a supervisor writes a (major) hazard off after acceptance.
    WrittenOff,
}

impl HazardEventKind {
    /// The action as a verb phrase, for messages ("cannot re-inspect while ordered").
    pub fn action(&self) -> &'static str {
        match self {
            HazardEventKind::Raised { .. } => "raise",
            HazardEventKind::Graded { .. } => "grade",
            HazardEventKind::RectificationOrdered { .. } => "order rectification",
            HazardEventKind::RectificationSubmitted { .. } => "submit a rectification",
            HazardEventKind::Reinspected { .. } => "re-inspect",
            HazardEventKind::Escalated => "escalate",
            HazardEventKind::Closed => "close",
            HazardEventKind::WrittenOff => "write off",
        }
    }

    /// The event type's stable name, as stored in the event's `type`.
    pub fn name(&self) -> &'static str {
        match self {
            HazardEventKind::Raised { .. } => "raised",
            HazardEventKind::Graded { .. } => "graded",
            HazardEventKind::RectificationOrdered { .. } => "rectification_ordered",
            HazardEventKind::RectificationSubmitted { .. } => "rectification_submitted",
            HazardEventKind::Reinspected { .. } => "reinspected",
            HazardEventKind::Escalated => "escalated",
            HazardEventKind::Closed => "closed",
            HazardEventKind::WrittenOff => "written_off",
        }
    }
}

/// Where a hazard stands in the closed loop: the fold of its events.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HazardStatus {
    /// 待评估: found, not yet graded.
    Raised,
    /// 待下达整改: graded, no rectification ordered.
    Graded,
    /// 待整改 / 整改中.
    Ordered,
    /// 待复查: rectification submitted.
    Submitted,
    /// 退回整改: sent back after re-inspection.
    Returned,
    /// 复查通过: awaiting closing (or write-off for a major hazard).
    Verified,
    /// 已销号.
    Closed,
    /// 已核销.
    WrittenOff,
}

offgrid_common::named!(pub HazardStatus, "hazard status" {
    Raised => "raised",
    Graded => "graded",
    Ordered => "ordered",
    Submitted => "submitted",
    Returned => "returned",
    Verified => "verified",
    Closed => "closed",
    WrittenOff => "written_off",
});

impl HazardStatus {
    /// What users read: (zh-CN, en).
    pub fn label(self) -> (&'static str, &'static str) {
        match self {
            HazardStatus::Raised => ("待评估", "to grade"),
            HazardStatus::Graded => ("待下达整改", "to order"),
            HazardStatus::Ordered => ("待整改", "to rectify"),
            HazardStatus::Submitted => ("待复查", "to re-inspect"),
            HazardStatus::Returned => ("退回整改", "sent back"),
            HazardStatus::Verified => ("复查通过", "verified"),
            HazardStatus::Closed => ("已销号", "closed"),
            HazardStatus::WrittenOff => ("已核销", "written off"),
        }
    }

    /// The statuses in which a rectification deadline runs (so the hazard can be overdue).
    pub fn awaiting_rectification(self) -> bool {
        matches!(self, HazardStatus::Ordered | HazardStatus::Returned)
    }

    /// Whether the hazard is still in the loop (neither closed nor written off).
    pub fn is_open(self) -> bool {
        !matches!(self, HazardStatus::Closed | HazardStatus::WrittenOff)
    }
}

/// The state a hazard's events fold into.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct HazardState {
    /// Where the hazard stands in the loop.
    pub status: HazardStatus,
    /// The latest grade (`None`: not graded yet).
    pub grade: Option<RiskGrade>,
    /// A major hazard (重大隐患): raised or graded so, or graded red. Closed only by a write-off.
    pub major: bool,
    /// The responsible unit (责任单位) of the current order (`None`: none ordered).
    pub unit: Option<String>,
    /// The user id of the responsible person (责任人) of the current order (`None`: none ordered).
    pub assignee: Option<String>,
    /// The responsible person's display name, as the order recorded it.
    pub assignee_name: Option<String>,
    /// The current order's rectification deadline, UTC ms (`None`: none ordered).
    pub deadline_ms: Option<i64>,
    /// What the current order asks to be done (`None`: none ordered).
    pub measures: Option<String>,
    /// Who submitted the latest rectification (may not re-inspect it).
    pub rectified_by: Option<String>,
    /// How many times the hazard was escalated (超期 / 挂牌督办).
    pub escalations: u32,
    /// Ids of events kept but not applied (they did not fit the state after a merge).
    pub not_applied: Vec<String>,
}

impl crate::doc::events::Event for HazardEvent {
    fn with_id(self, id: String) -> Self {
        HazardEvent { id, ..self }
    }
    fn id(&self) -> &str {
        &self.id
    }
    fn at_ms(&self) -> i64 {
        self.at_ms
    }
}

/// Sorts events into the fold order: device time, then event id.
pub fn sort(events: &mut [HazardEvent]) {
    crate::doc::events::sort(events);
}

/// Folds sorted events into the hazard's state.
pub fn fold(events: &[HazardEvent]) -> HazardState {
    use HazardEventKind as E;
    use HazardStatus as S;
    let mut st = HazardState {
        status: S::Raised,
        grade: None,
        major: false,
        unit: None,
        assignee: None,
        assignee_name: None,
        deadline_ms: None,
        measures: None,
        rectified_by: None,
        escalations: 0,
        not_applied: Vec::new(),
    };
    for e in events {
        if !applies(&st, &e.kind) {
            st.not_applied.push(e.id.clone());
            continue;
        }
        match &e.kind {
            E::Raised { grade, major } => {
                st.grade = *grade;
                st.major |= *major || *grade == Some(RiskGrade::Red);
                if grade.is_some() {
                    st.status = S::Graded;
                }
            }
            E::Graded { grade, major } => {
                st.grade = Some(*grade);
                st.major = *major || *grade == RiskGrade::Red;
                if st.status == S::Raised {
                    st.status = S::Graded;
                }
            }
            E::RectificationOrdered {
                unit,
                person,
                person_name,
                deadline_ms,
                measures,
            } => {
                st.status = if st.status == S::Returned {
                    S::Returned
                } else {
                    S::Ordered
                };
                st.unit = Some(unit.clone());
                st.assignee = Some(person.clone());
                st.assignee_name = Some(person_name.clone());
                st.deadline_ms = Some(*deadline_ms);
                st.measures = Some(measures.clone());
            }
            E::RectificationSubmitted { .. } => {
                st.status = S::Submitted;
                st.rectified_by = Some(e.by.clone());
            }
            E::Reinspected { passed } => {
                st.status = if *passed { S::Verified } else { S::Returned }
            }
            E::Escalated => st.escalations += 1,
            E::Closed => st.status = S::Closed,
            E::WrittenOff => st.status = S::WrittenOff,
        }
    }
    st
}

/// Whether an event fits the state it reaches (the same rules the actions check).
pub fn applies(st: &HazardState, kind: &HazardEventKind) -> bool {
    use HazardEventKind as E;
    use HazardStatus as S;
    match kind {
        E::Raised { .. } => st.status == S::Raised && st.grade.is_none(),
        E::Graded { .. } => matches!(st.status, S::Raised | S::Graded | S::Ordered | S::Returned),
        E::RectificationOrdered { .. } => {
            st.grade.is_some() && matches!(st.status, S::Graded | S::Ordered | S::Returned)
        }
        E::RectificationSubmitted { .. } => matches!(st.status, S::Ordered | S::Returned),
        E::Reinspected { .. } => st.status == S::Submitted,
        E::Escalated => st.status.is_open(),
        E::Closed => st.status == S::Verified && !st.major,
        E::WrittenOff => st.status == S::Verified,
    }
}

/// Overdue: a rectification deadline has passed while the hazard still awaits rectification.
pub fn is_overdue(st: &HazardState, now_ms: i64) -> bool {
    st.status.awaiting_rectification() && st.deadline_ms.is_some_and(|d| d < now_ms)
}
