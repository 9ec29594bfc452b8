//! Typesetting with typst used as a library: an in-memory [`World`] that holds the document's
//! template (from the repository, compiled in), its data as JSON, its photos and the one shipped
//! font. Nothing is read from the file system and no package is fetched.
//!
//! File ids in typst are interned for the life of the process (at most 65,535), so every
//! document uses the same fixed virtual paths (`/photos/0.jpg`, `/photos/1.jpg`, …) rather than
//! paths named by photo hashes: a server producing documents for years never runs out.

use std::collections::HashMap;
use std::sync::LazyLock;

use typst::diag::{FileError, FileResult, Severity, SourceDiagnostic};
use typst::foundations::{Bytes, Datetime, Smart};
use typst::syntax::{FileId, RootedPath, Source, VirtualPath, VirtualRoot};
use typst::text::{Font, FontBook};
use typst::utils::LazyHash;
use typst::{Library, LibraryExt, World};
use typst_layout::PagedDocument;

use crate::error::{Error, Result};

/// The documents' fonts, in the order a character is looked up (`common.typ` names them in
/// this order; documents/fonts/README.md): Noto Sans CJK SC with every CJK unified ideograph it has
/// (U+4E00–U+9FEF), the compatibility ideographs, 通用规范汉字表, punctuation, Latin, Greek and
/// the symbols of construction drawings; DejaVu Sans for the symbols Noto lacks (⌀ ‱ ☐ ✔ …)
/// and U+FFFD; Offgrid Han Supplement (from LXGW WenKai) for U+9FF0–U+9FFF.
static FONT_FILES: [&[u8]; 3] = [
    include_bytes!("../fonts/NotoSansCJKsc-Regular-subset.otf"),
    include_bytes!("../fonts/DejaVuSans-subset.ttf"),
    include_bytes!("../fonts/OffgridHanSupplement-Regular.ttf"),
];

/// What a character no font has is printed as: U+FFFD, drawn by DejaVu Sans as a black
/// diamond with a question mark, read back as U+FFFD by text extraction.
pub(crate) const REPLACEMENT: char = '\u{FFFD}';

static FONTS: LazyLock<(LazyHash<FontBook>, Vec<Font>)> = LazyLock::new(|| {
    let fonts: Vec<Font> = FONT_FILES
        .iter()
        .flat_map(|data| Font::iter(Bytes::new(*data)))
        .collect();
    (LazyHash::new(FontBook::from_fonts(&fonts)), fonts)
});

static LIBRARY: LazyLock<LazyHash<Library>> = LazyLock::new(|| LazyHash::new(Library::default()));

const COMMON: &str = include_str!("../templates/common.typ");

/// The layout files, one per document.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Layout {
    Supervision,
    Notice,
    Reply,
}

impl Layout {
    fn source(self) -> &'static str {
        match self {
            Layout::Supervision => include_str!("../templates/supervision.typ"),
            Layout::Notice => include_str!("../templates/notice.typ"),
            Layout::Reply => include_str!("../templates/reply.typ"),
        }
    }
}

/// Whether the documents can print `c`: one of the fonts has a glyph for it, or it needs none
/// (whitespace, controls, and the default-ignorable code points — variation selectors,
/// zero-width joiners, the byte order mark — which shaping consumes or hides).
pub(crate) fn printable(c: char) -> bool {
    c.is_whitespace()
        || c.is_control()
        || default_ignorable(c)
        || FONTS
            .1
            .iter()
            .any(|font| font.info().coverage.contains(c as u32))
}

/// Unicode's Default_Ignorable_Code_Point (DerivedCoreProperties.txt).
fn default_ignorable(c: char) -> bool {
    matches!(c as u32,
        0x00AD | 0x034F | 0x061C | 0x115F..=0x1160 | 0x17B4..=0x17B5 | 0x180B..=0x180F
        | 0x200B..=0x200F | 0x202A..=0x202E | 0x2060..=0x206F | 0x3164 | 0xFE00..=0xFE0F
        | 0xFEFF | 0xFFA0 | 0xFFF0..=0xFFF8 | 0x1BCA0..=0x1BCA3 | 0x1D173..=0x1D17A
        | 0xE0000..=0xE0FFF)
}

/// Everything a layout reads: `/data.json`, `/record.json` (attached to the PDF), `/qr.svg`,
/// photos at `/photos/N.jpg`, signature images at `/signatures/N` (PNG or JPEG, told apart by their bytes), an optional `/logo`.
pub(crate) struct Inputs {
    pub data_json: Vec<u8>,
    pub record_json: Vec<u8>,
    pub qr_svg: String,
    pub photos: Vec<Vec<u8>>,
    pub signatures: Vec<Vec<u8>>,
    pub logo: Option<Vec<u8>>,
}

struct DocWorld {
    main: Source,
    common: Source,
    files: HashMap<FileId, Bytes>,
}

fn file_id(path: &str) -> Result<FileId> {
    let vpath = VirtualPath::new(path).map_err(|e| Error::Document {
        reason: format!("layout path {path}: {e:?}"),
    })?;
    Ok(RootedPath::new(VirtualRoot::Project, vpath).intern())
}

impl World for DocWorld {
    fn library(&self) -> &LazyHash<Library> {
        &LIBRARY
    }
    fn book(&self) -> &LazyHash<FontBook> {
        &FONTS.0
    }
    fn main(&self) -> FileId {
        self.main.id()
    }
    fn source(&self, id: FileId) -> FileResult<Source> {
        if id == self.main.id() {
            Ok(self.main.clone())
        } else if id == self.common.id() {
            Ok(self.common.clone())
        } else {
            Err(FileError::NotSource)
        }
    }
    fn file(&self, id: FileId) -> FileResult<Bytes> {
        if let Some(bytes) = self.files.get(&id) {
            return Ok(bytes.clone());
        }
        for source in [&self.main, &self.common] {
            if id == source.id() {
                return Ok(Bytes::from_string(source.clone()));
            }
        }
        Err(FileError::NotFound(id.vpath().get_with_slash().into()))
    }
    fn font(&self, index: usize) -> Option<Font> {
        FONTS.1.get(index).cloned()
    }
    fn today(&self, _offset: Option<typst::foundations::Duration>) -> Option<Datetime> {
        // Documents never print "today": every date comes from the record, so that
        // generating twice gives the same bytes.
        None
    }
}

fn describe(diags: &[SourceDiagnostic]) -> String {
    diags
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .map(|d| d.message.to_string())
        .collect::<Vec<_>>()
        .join("; ")
}

/// Lays out `layout` over `inputs` and returns the PDF (PDF/A-3b, the record JSON attached) and
/// its page count. `ident` makes the PDF's document id stable.
pub(crate) fn render(layout: Layout, inputs: Inputs, ident: &str) -> Result<(Vec<u8>, usize)> {
    let mut files = HashMap::new();
    files.insert(file_id("/data.json")?, Bytes::new(inputs.data_json));
    files.insert(file_id("/record.json")?, Bytes::new(inputs.record_json));
    files.insert(file_id("/qr.svg")?, Bytes::from_string(inputs.qr_svg));
    for (i, photo) in inputs.photos.into_iter().enumerate() {
        files.insert(file_id(&format!("/photos/{i}.jpg"))?, Bytes::new(photo));
    }
    for (i, image) in inputs.signatures.into_iter().enumerate() {
        files.insert(file_id(&format!("/signatures/{i}"))?, Bytes::new(image));
    }
    if let Some(logo) = inputs.logo {
        files.insert(file_id("/logo")?, Bytes::new(logo));
    }
    let world = DocWorld {
        main: Source::new(file_id("/main.typ")?, layout.source().to_owned()),
        common: Source::new(file_id("/common.typ")?, COMMON.to_owned()),
        files,
    };
    let compiled = typst::compile::<PagedDocument>(&world);
    let result = compiled.output.map_err(|e| Error::Document {
        reason: format!("layout failed: {}", describe(&e)),
    });
    // typst memoises across calls; keep the cache from growing with every document made.
    typst::comemo::evict(2);
    let document = result?;
    let options = typst_pdf::PdfOptions {
        ident: Smart::Custom(ident.to_owned()),
        timestamp: None,
        standards: typst_pdf::PdfStandards::new(&[typst_pdf::PdfStandard::A_3b]).map_err(|e| {
            Error::Document {
                reason: format!("PDF/A-3b: {}", e.message()),
            }
        })?,
        ..Default::default()
    };
    let pdf = typst_pdf::pdf(&document, &options).map_err(|e| Error::Document {
        reason: format!("PDF export failed: {}", describe(&e)),
    })?;
    Ok((pdf, document.pages().len()))
}
