//! The hazard register (台账) as XLSX: the register's columns (documents.md), header frozen,
//! autofilter on, status as a dropdown, grade colours, column widths set for Chinese text
//! (rust_xlsxwriter's autofit counts a CJK character as one narrow one), overdue days, and
//! optional photo thumbnails. A last sheet, 验证, carries the number and the SHA-256 of the
//! canonical JSON of the rows; the workbook's custom properties carry them too.

use rust_xlsxwriter::{
    Color, DataValidation, DocProperties, ExcelDateTime, Format, FormatAlign, FormatBorder, Image,
    Workbook, XlsxError,
};
use serde_json::{Value, json};

use crate::error::{Error, Result};
use crate::notice::{latest_rectification, who};
use crate::supervision::clause_text;
use crate::text::{local_date, local_year};
use crate::{DocumentKind, DocumentSettings, Made, ShownRecord, Source};
use offgrid_common::model::{RecordId, RiskGrade};
use offgrid_domain::hazard::{HazardStatus, RegisterQuery};

const COLUMNS: [(&str, f64); 20] = [
    ("序号", 6.0),
    ("隐患编号", 14.0),
    ("工程", 22.0),
    ("单元/部位", 18.0),
    ("描述", 40.0),
    ("类别", 10.0),
    ("等级", 8.0),
    ("依据条款", 24.0),
    ("发现日期", 12.0),
    ("检查人", 12.0),
    ("通知书号", 26.0),
    ("责任单位", 18.0),
    ("期限", 12.0),
    ("措施", 30.0),
    ("完成日期", 12.0),
    ("复查人/日期", 22.0),
    ("状态", 11.0),
    ("逾期天数", 9.0),
    ("照片", 12.0),
    ("备注", 20.0),
];
const STATUS_COL: u16 = 16;
/// Hazards read at once.
const BATCH: usize = 500;
const PHOTO_COL: u16 = 18;

fn xlsx(e: XlsxError) -> Error {
    crate::error::document(format!("spreadsheet: {e}"))
}

pub(crate) fn make<S: Source>(
    src: &S,
    query: &RegisterQuery,
    settings: &DocumentSettings,
    thumbnails: bool,
) -> Result<Made, S::Error> {
    let register = src.register(&RegisterQuery {
        limit: None,
        offset: 0,
        ..query.clone()
    })?;
    let now_ms = register.now_ms;
    // Dates as the office reads them: in the organisation's zone.
    let zone = src.zone();
    let notices = src.notice_numbers()?;
    let mut rows = Vec::with_capacity(register.rows.len());
    let mut records = Vec::with_capacity(register.rows.len());
    let mut thumbs: Vec<Option<String>> = Vec::new();
    let ids: Vec<RecordId> = register.rows.iter().map(|r| r.id.clone()).collect();
    // Each hazard and the heads it was read at come from one read; a batch at a time, so that
    // only the rows, not every hazard, are held at once.
    let loaded = ids.chunks(BATCH).map(|batch| src.hazards_with_heads(batch));
    let loaded = loaded.flat_map(|batch| match batch {
        Ok(hazards) => hazards.into_iter().map(Ok).collect::<Vec<_>>(),
        Err(e) => vec![Err(e)],
    });
    for (n, (summary, loaded)) in register.rows.iter().zip(loaded).enumerate() {
        let (h, heads) = loaded?;
        let raised = h.events.first();
        let (submitted, reinspected) = latest_rectification(&h);
        // The same rule as the app's lists (screens::list): whole days past the deadline.
        let overdue_days = summary
            .overdue_from_ms
            .filter(|from| *from < now_ms)
            .map_or(0, |from| (now_ms - from) / 86_400_000);
        let mut remarks = Vec::new();
        if h.state.major {
            remarks.push("重大隐患".to_owned());
        }
        if h.state.escalations > 0 {
            remarks.push(format!("已督办 {} 次", h.state.escalations));
        }
        let found_photo = h
            .photos
            .iter()
            .find(|(_, p)| p.stage.as_deref() != Some("rectification"))
            .map(|(sha, _)| sha.clone());
        thumbs.push(found_photo);
        rows.push(json!({
            "no": n + 1,
            "id": h.id.0,
            "project": h.project,
            "location": h.location,
            "description": if h.description.is_empty() { h.title.clone() } else { format!("{}：{}", h.title, h.description) },
            "category": if h.source.is_some() { "检查发现" } else { "巡查发现" },
            "grade": h.state.grade.map(|g| g.as_str()).unwrap_or(""),
            "clause": h.source.as_ref().and_then(|s| s.clause.as_ref()).map(clause_text).unwrap_or_default(),
            "found": raised.map(|e| local_date(e.at_ms, e.offset_minutes)).unwrap_or_default(),
            "inspector": raised.map(who).unwrap_or_default(),
            "notice": notices.get(&h.id.0).cloned().unwrap_or_default(),
            "unit": h.state.unit.clone().unwrap_or_default(),
            "deadline": h.state.deadline_ms.map(|d| local_date(d, zone.offset_minutes(d))).unwrap_or_default(),
            "measures": h.state.measures.clone().unwrap_or_default(),
            "completed": submitted.map(|e| local_date(e.at_ms, e.offset_minutes)).unwrap_or_default(),
            "reinspected": reinspected.map(|e| format!("{} {}", who(e), local_date(e.at_ms, e.offset_minutes))).unwrap_or_default(),
            "status": h.state.status.as_str(),
            "overdue_days": overdue_days,
            "photos": h.photos.keys().cloned().collect::<Vec<_>>(),
            "remarks": remarks.join("；"),
        }));
        records.push(ShownRecord { id: h.id, heads });
    }
    let (day, offset) = (now_ms, zone.offset_minutes(now_ms));
    let number = settings.number(
        DocumentKind::Register,
        local_year(day, offset),
        &[RecordId(format!(
            "register:{}",
            serde_json::to_string(query).unwrap_or_default()
        ))],
    );
    let shown = json!({
        "kind": DocumentKind::Register.as_str(),
        "number": number,
        "org": {"agency": settings.agency},
        "as_of": local_date(day, offset),
        "records": records,
        "rows": rows,
    });
    let canonical = crate::canonical::to_bytes(&shown);
    let sha256 = crate::canonical::sha256_hex(&canonical);
    let bytes = workbook(
        src,
        &shown,
        &sha256,
        settings,
        thumbnails.then_some(&thumbs),
    )?;
    Ok(Made {
        kind: DocumentKind::Register,
        number,
        sha256,
        records,
        pages: 0,
        bytes,
        missing_photos: Vec::new(),
        // A spreadsheet carries text, not glyphs: the reader's fonts draw it.
        replaced_characters: Vec::new(),
    })
}

fn grade_colour(grade: &str) -> Option<(Color, Color)> {
    match grade {
        "red" => Some((Color::RGB(0xF4C7C3), Color::RGB(0x9C0006))),
        "orange" => Some((Color::RGB(0xFCE4C4), Color::RGB(0x9C5700))),
        "yellow" => Some((Color::RGB(0xFFF2B3), Color::RGB(0x7F6000))),
        "blue" => Some((Color::RGB(0xCFE2F3), Color::RGB(0x1F4E79))),
        _ => None,
    }
}

fn grade_label(grade: &str) -> &'static str {
    [
        RiskGrade::Red,
        RiskGrade::Orange,
        RiskGrade::Yellow,
        RiskGrade::Blue,
    ]
    .into_iter()
    .find(|g| g.as_str() == grade)
    .map(|g| g.label().0)
    .unwrap_or("未评估")
}

fn status_label(status: &str) -> &'static str {
    HazardStatus::ALL
        .into_iter()
        .find(|s| s.as_str() == status)
        .map(|s| s.label().0)
        .unwrap_or("")
}

fn workbook<S: Source>(
    src: &S,
    shown: &Value,
    sha256: &str,
    settings: &DocumentSettings,
    thumbs: Option<&Vec<Option<String>>>,
) -> Result<Vec<u8>, S::Error> {
    let number = shown["number"].as_str().unwrap_or_default();
    let as_of = shown["as_of"].as_str().unwrap_or_default();
    let (y, m, d) = (
        as_of.get(0..4).and_then(|s| s.parse().ok()).unwrap_or(2026),
        as_of.get(5..7).and_then(|s| s.parse().ok()).unwrap_or(1),
        as_of.get(8..10).and_then(|s| s.parse().ok()).unwrap_or(1),
    );
    let created = ExcelDateTime::from_ymd(y, m, d).map_err(xlsx)?;
    let mut book = Workbook::new();
    let props = DocProperties::new()
        .set_title("隐患台账 Hazard register")
        .set_company(settings.agency.as_str())
        .set_creation_datetime(&created)
        .set_custom_property("offgrid-number", number)
        .set_custom_property("offgrid-sha256", sha256);
    book.set_properties(&props);

    let header = Format::new()
        .set_bold()
        .set_text_wrap()
        .set_align(FormatAlign::Center)
        .set_align(FormatAlign::VerticalCenter)
        .set_background_color(Color::RGB(0xD9D9D9))
        .set_border(FormatBorder::Thin);
    let cell = Format::new()
        .set_text_wrap()
        .set_align(FormatAlign::Top)
        .set_border(FormatBorder::Thin);
    // Rows are streamed to a temporary file as they are written (strings still shared): the
    // register of ten thousand hazards is not held whole in memory. The folder is the
    // source's (a phone's system temporary folder may not be writable).
    let tmp = src.temp_dir()?;
    book.set_tempdir(&tmp).map_err(xlsx)?;
    let sheet = book.add_worksheet_with_low_memory().map_err(xlsx)?;
    sheet.set_name("隐患台账").map_err(xlsx)?;
    for (c, (title, width)) in COLUMNS.iter().enumerate() {
        sheet
            .write_string_with_format(0, c as u16, *title, &header)
            .map_err(xlsx)?;
        sheet.set_column_width(c as u16, *width).map_err(xlsx)?;
    }
    sheet.set_row_height(0, 30).map_err(xlsx)?;
    let no_rows = Vec::new();
    let rows = shown["rows"].as_array().unwrap_or(&no_rows);
    let statuses: Vec<&str> = HazardStatus::ALL.iter().map(|s| s.label().0).collect();
    for (i, row) in rows.iter().enumerate() {
        let r = (i + 1) as u32;
        let s = |k: &str| row[k].as_str().unwrap_or_default().to_owned();
        let texts = [
            (1, s("id")),
            (2, s("project")),
            (3, s("location")),
            (4, s("description")),
            (5, s("category")),
            (7, s("clause")),
            (8, s("found")),
            (9, s("inspector")),
            (10, s("notice")),
            (11, s("unit")),
            (12, s("deadline")),
            (13, s("measures")),
            (14, s("completed")),
            (15, s("reinspected")),
            (16, status_label(&s("status")).to_owned()),
            (19, s("remarks")),
        ];
        sheet
            .write_number_with_format(r, 0, (i + 1) as f64, &cell)
            .map_err(xlsx)?;
        for (c, text) in texts {
            sheet
                .write_string_with_format(r, c, text, &cell)
                .map_err(xlsx)?;
        }
        let grade = s("grade");
        let grade_format = match grade_colour(&grade) {
            Some((fill, font)) => cell.clone().set_background_color(fill).set_font_color(font),
            None => cell.clone(),
        };
        sheet
            .write_string_with_format(r, 6, grade_label(&grade), &grade_format)
            .map_err(xlsx)?;
        let overdue = row["overdue_days"].as_i64().unwrap_or(0);
        let overdue_format = if overdue > 0 {
            cell.clone().set_font_color(Color::RGB(0xC00000))
        } else {
            cell.clone()
        };
        sheet
            .write_number_with_format(r, 17, overdue as f64, &overdue_format)
            .map_err(xlsx)?;
        let photos = row["photos"].as_array().map(Vec::len).unwrap_or(0);
        sheet
            .write_string_with_format(r, PHOTO_COL, format!("{photos} 张"), &cell)
            .map_err(xlsx)?;
        if let Some(Some(sha)) = thumbs.map(|t| &t[i])
            && let Some(bytes) = src.thumbnail(sha)
        {
            let image = Image::new_from_buffer(&bytes).map_err(xlsx)?;
            sheet.set_row_height(r, 48).map_err(xlsx)?;
            sheet
                .insert_image_fit_to_cell(r, PHOTO_COL, &image, true)
                .map_err(xlsx)?;
        }
    }
    let last = rows.len() as u32;
    sheet.set_freeze_panes(1, 0).map_err(xlsx)?;
    sheet
        .autofilter(0, 0, last.max(1), (COLUMNS.len() - 1) as u16)
        .map_err(xlsx)?;
    if last > 0 {
        let dropdown = DataValidation::new()
            .allow_list_strings(&statuses)
            .map_err(xlsx)?;
        sheet
            .add_data_validation(1, STATUS_COL, last, STATUS_COL, &dropdown)
            .map_err(xlsx)?;
    }
    sheet.set_landscape();
    sheet.set_header(format!(
        "&C{}　隐患台账",
        settings.agency.replace('&', "&&")
    ));
    sheet.set_footer("&C第 &P 页 共 &N 页");

    let verify = book.add_worksheet();
    verify.set_name("验证").map_err(xlsx)?;
    verify.set_column_width(0, 14).map_err(xlsx)?;
    verify.set_column_width(1, 70).map_err(xlsx)?;
    for (r, (k, v)) in [
        ("文书编号 No.", number.to_owned()),
        ("截至 As of", as_of.to_owned()),
        ("隐患数 Rows", rows.len().to_string()),
        ("SHA-256", sha256.to_owned()),
    ]
    .into_iter()
    .enumerate()
    {
        verify.write_string(r as u32, 0, k).map_err(xlsx)?;
        verify.write_string(r as u32, 1, v).map_err(xlsx)?;
    }
    Ok(book.save_to_buffer().map_err(xlsx)?)
}
