//! Hostile photo headers, made byte by byte with nothing but `std`: JPEGs and PNGs that claim
//! far more pixels than they carry, and a decompression bomb in a PNG's metadata (issue 28).
//! `offgrid-core`'s own unit tests include this file by path (they cannot depend on this crate:
//! it depends on the core), so it must stay free of any dependency.

/// A tiny JPEG claiming `width`×`height` pixels (issue 28's attack: a few hundred bytes that make
/// a decoder allocate for the whole image): one quantisation table of ones, Huffman tables with a
/// single one-bit code (a DC difference of 0, an end of block), the frame header (SOF2 when
/// `progressive`, else SOF0) with `sampling` (horizontal, vertical) per component, one scan of
/// every component (DC only when progressive) of `scan_bytes` zero bytes, and the end marker.
/// Decoders read zero bits past the end of the scan, so it decodes, as flat grey.
pub fn claiming_jpeg(
    width: u16,
    height: u16,
    progressive: bool,
    sampling: &[(u8, u8)],
    scan_bytes: usize,
) -> Vec<u8> {
    fn segment(out: &mut Vec<u8>, marker: u8, body: &[u8]) {
        out.extend([0xFF, marker]);
        out.extend(((body.len() + 2) as u16).to_be_bytes());
        out.extend(body);
    }
    let n = sampling.len() as u8;
    let mut out = vec![0xFF, 0xD8];
    let mut dqt = vec![0u8];
    dqt.extend([1u8; 64]);
    segment(&mut out, 0xDB, &dqt);
    let mut sof = vec![8];
    sof.extend(height.to_be_bytes());
    sof.extend(width.to_be_bytes());
    sof.push(n);
    for (i, (h, v)) in sampling.iter().enumerate() {
        sof.extend([i as u8 + 1, (h << 4) | v, 0]);
    }
    segment(&mut out, if progressive { 0xC2 } else { 0xC0 }, &sof);
    let mut dht = Vec::new();
    for class in [0x00u8, 0x10] {
        dht.push(class);
        let mut counts = [0u8; 16];
        counts[0] = 1;
        dht.extend(counts);
        dht.push(0);
    }
    segment(&mut out, 0xC4, &dht);
    let mut sos = vec![n];
    for i in 0..n {
        sos.extend([i + 1, 0x00]);
    }
    sos.extend(if progressive { [0, 0, 0] } else { [0, 63, 0] });
    segment(&mut out, 0xDA, &sos);
    out.resize(out.len() + scan_bytes, 0);
    out.extend([0xFF, 0xD9]);
    out
}

/// A valid PNG of `width`×`height`, all zero samples (black, or transparent), in any bit depth
/// and colour type, optionally interlaced (Adam7): its image data is a run of zeros deflated
/// with length-258 matches, so even a 16-bit interlaced image of a hundred megabytes is a few
/// hundred kilobytes. For checking memory bounds.
pub fn zero_png(width: u32, height: u32, depth: u8, colour_type: u8, interlaced: bool) -> Vec<u8> {
    let channels: u64 = match colour_type {
        0 | 3 => 1,
        2 => 3,
        4 => 2,
        _ => 4,
    };
    let bits = channels * u64::from(depth);
    let row = |w: u64| 1 + (w * bits).div_ceil(8);
    let (w, h) = (u64::from(width), u64::from(height));
    let raw: u64 = if interlaced {
        const PASSES: [(u64, u64, u64, u64); 7] = [
            (0, 0, 8, 8),
            (4, 0, 8, 8),
            (0, 4, 4, 8),
            (2, 0, 4, 4),
            (0, 2, 2, 4),
            (1, 0, 2, 2),
            (0, 1, 1, 2),
        ];
        PASSES
            .iter()
            .map(|&(x0, y0, dx, dy)| {
                let pw = w.saturating_sub(x0).div_ceil(dx);
                let ph = h.saturating_sub(y0).div_ceil(dy);
                if pw == 0 { 0 } else { ph * row(pw) }
            })
            .sum()
    } else {
        h * row(w)
    };

    let zlib = zlib_zeros(raw);

    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = Vec::new();
    ihdr.extend(width.to_be_bytes());
    ihdr.extend(height.to_be_bytes());
    ihdr.extend([depth, colour_type, 0, 0, u8::from(interlaced)]);
    png_chunk(&mut out, b"IHDR", &ihdr);
    if colour_type == 3 {
        png_chunk(&mut out, b"PLTE", &[0, 0, 0]);
    }
    png_chunk(&mut out, b"IDAT", &zlib);
    png_chunk(&mut out, b"IEND", &[]);
    out
}

/// A zlib stream of `raw` zero bytes: its header, one fixed-Huffman block (a literal zero, then
/// matches of 258 bytes at distance 1) and the Adler-32 (a = 1, b = raw).
fn zlib_zeros(raw: u64) -> Vec<u8> {
    let mut bits_out = BitWriter::default();
    bits_out.bits(1, 1); // final block
    bits_out.bits(1, 2); // fixed Huffman codes
    let literal_zero = |b: &mut BitWriter| b.code(0x30, 8);
    literal_zero(&mut bits_out);
    let mut left = raw - 1;
    while left >= 258 {
        bits_out.code(0xC5, 8); // length 258 (symbol 285)
        bits_out.code(0, 5); // distance 1
        left -= 258;
    }
    for _ in 0..left {
        literal_zero(&mut bits_out);
    }
    bits_out.code(0, 7); // end of block
    let mut zlib = vec![0x78, 0x01];
    zlib.extend(bits_out.finish());
    let adler = (((raw % 65_521) as u32) << 16) | 1;
    zlib.extend(adler.to_be_bytes());

    zlib
}

/// `png` with a zTXt chunk (keyword "Comment") after its header chunk, whose text inflates to
/// `inflated` zero bytes: a decompression bomb in the metadata.
pub fn with_compressed_text(png: &[u8], inflated: u64) -> Vec<u8> {
    let mut data = b"Comment\0\0".to_vec();
    data.extend(zlib_zeros(inflated));
    let ihdr_end = 8 + 12 + 13;
    let mut out = png[..ihdr_end].to_vec();
    png_chunk(&mut out, b"zTXt", &data);
    out.extend(&png[ihdr_end..]);
    out
}

fn png_chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
    out.extend((data.len() as u32).to_be_bytes());
    let start = out.len();
    out.extend(kind);
    out.extend(data);
    let crc = crc32(&out[start..]);
    out.extend(crc.to_be_bytes());
}

fn crc32(bytes: &[u8]) -> u32 {
    let table: Vec<u32> = (0..256u32)
        .map(|n| {
            (0..8).fold(n, |c, _| {
                if c & 1 == 1 {
                    0xEDB8_8320 ^ (c >> 1)
                } else {
                    c >> 1
                }
            })
        })
        .collect();
    !bytes.iter().fold(!0u32, |c, &b| {
        table[((c ^ u32::from(b)) & 0xFF) as usize] ^ (c >> 8)
    })
}

/// Deflate's bit order: fields from their least significant bit, Huffman codes from their most.
#[derive(Default)]
struct BitWriter {
    out: Vec<u8>,
    acc: u32,
    n: u32,
}

impl BitWriter {
    fn bit(&mut self, bit: u32) {
        self.acc |= (bit & 1) << self.n;
        self.n += 1;
        if self.n == 8 {
            self.out.push(self.acc as u8);
            (self.acc, self.n) = (0, 0);
        }
    }

    fn bits(&mut self, value: u32, count: u32) {
        for i in 0..count {
            self.bit(value >> i);
        }
    }

    fn code(&mut self, code: u32, len: u32) {
        for i in (0..len).rev() {
            self.bit(code >> i);
        }
    }

    fn finish(mut self) -> Vec<u8> {
        if self.n > 0 {
            self.out.push(self.acc as u8);
        }
        self.out
    }
}
