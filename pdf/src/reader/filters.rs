//! Stream filters needed for reading document structure (ISO 32000-2 §7.4): `FlateDecode` with
//! the PNG and TIFF predictors of §7.4.4.4. Decoded output is capped so that a small
//! compressed stream cannot expand into gigabytes.

use std::io::Read;

use crate::error::{Error, Result};
use crate::object::{Dict, Object};

/// Largest decoded stream the reader produces (xref streams, object streams).
pub const MAX_DECODED_LEN: u64 = 256 * 1024 * 1024;

/// Decodes `raw` according to the `/Filter` and `/DecodeParms` of `dict`. `offset` is the
/// position of the data in the file, for error messages.
pub fn decode(dict: &Dict, raw: Vec<u8>, offset: u64, cap: u64) -> Result<Vec<u8>> {
    decode_up_to(dict, raw, offset, cap, None)
}

/// As [`decode`], producing only the first `want` bytes of the decoded data: the last filter
/// stops inflating once it has them, however much more the stream would expand to (a
/// cross-reference stream padded with gigabytes after its rows costs its rows).
pub fn decode_head(dict: &Dict, raw: Vec<u8>, offset: u64, cap: u64, want: u64) -> Result<Vec<u8>> {
    let mut data = decode_up_to(dict, raw, offset, cap, Some(want))?;
    data.truncate(usize::try_from(want).unwrap_or(usize::MAX));
    Ok(data)
}

fn decode_up_to(
    dict: &Dict,
    raw: Vec<u8>,
    offset: u64,
    cap: u64,
    want: Option<u64>,
) -> Result<Vec<u8>> {
    let filters: Vec<&[u8]> = match dict.get("Filter") {
        None => return Ok(raw),
        Some(Object::Name(n)) => vec![n.as_slice()],
        Some(Object::Array(a)) => a.iter().filter_map(Object::as_name).collect(),
        Some(other) => {
            return Err(Error::wrong_type(
                format!("/Filter ({})", other.type_name()),
                "a name or array",
            ))
        }
    };
    let parms: Vec<Option<&Dict>> = match dict.get("DecodeParms") {
        Some(Object::Dict(d)) => vec![Some(d)],
        Some(Object::Array(a)) => a.iter().map(Object::as_dict).collect(),
        _ => vec![],
    };
    let mut data = raw;
    for (i, filter) in filters.iter().enumerate() {
        let parm = parms.get(i).copied().flatten();
        data = match *filter {
            b"FlateDecode" | b"Fl" => {
                let last = i + 1 == filters.len();
                let stop = want.filter(|_| last).map(|w| inflated_len(w, parm));
                let inflated = inflate(&data, offset, cap, stop)?;
                unpredict(inflated, parm, offset)?
            }
            other => {
                return Err(Error::UnsupportedFilter(
                    String::from_utf8_lossy(other).into_owned(),
                ))
            }
        };
    }
    Ok(data)
}

/// Inflates zlib data, refusing output larger than `cap`, stopping without error once `stop`
/// bytes (if given) are out. Reads in chunks rather than with `read_to_end`, which readies the
/// whole of each doubled buffer before filling it: a stream refused at 64 MiB would have touched
/// 128.
fn inflate(data: &[u8], offset: u64, cap: u64, stop: Option<u64>) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    let mut decoder = flate2::read::ZlibDecoder::new(data);
    let mut chunk = vec![0u8; 64 * 1024];
    loop {
        if stop.is_some_and(|s| out.len() as u64 >= s) {
            break;
        }
        match decoder.read(&mut chunk) {
            Ok(0) => break,
            Ok(n) => {
                let n = match stop {
                    Some(s) => n.min(usize::try_from(s).unwrap_or(usize::MAX) - out.len()),
                    None => n,
                };
                if (out.len() + n) as u64 > cap {
                    return Err(Error::LimitExceeded {
                        what: "decompressed stream size",
                        limit: cap,
                    });
                }
                out.extend_from_slice(&chunk[..n]);
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            // Many writers leave a bad Adler-32 checksum or cut the last block; keep what inflated.
            Err(_) if !out.is_empty() => break,
            Err(e) => {
                return Err(Error::Decompress {
                    offset,
                    reason: e.to_string(),
                })
            }
        }
    }
    Ok(out)
}

/// How many inflated bytes give `want` bytes once the predictor of `parm` is undone: PNG
/// predictors put a tag byte before each row.
fn inflated_len(want: u64, parm: Option<&Dict>) -> u64 {
    if parm_int(parm, "Predictor", 1) < 10 {
        return want;
    }
    let bits = parm_int(parm, "Colors", 1)
        .saturating_mul(parm_int(parm, "BitsPerComponent", 8))
        .saturating_mul(parm_int(parm, "Columns", 1));
    let row = u64::try_from(bits).unwrap_or(0).div_ceil(8).max(1);
    want.div_ceil(row).saturating_mul(row + 1)
}

fn parm_int(parm: Option<&Dict>, key: &str, default: i64) -> i64 {
    parm.and_then(|p| p.get(key))
        .and_then(Object::as_i64)
        .unwrap_or(default)
}

/// Undoes a PNG (10–15) or TIFF (2) predictor (§7.4.4.4).
fn unpredict(data: Vec<u8>, parm: Option<&Dict>, offset: u64) -> Result<Vec<u8>> {
    let predictor = parm_int(parm, "Predictor", 1);
    if predictor <= 1 {
        return Ok(data);
    }
    let colors = parm_int(parm, "Colors", 1);
    let bpc = parm_int(parm, "BitsPerComponent", 8);
    let columns = parm_int(parm, "Columns", 1);
    if !(1..=32).contains(&colors)
        || ![1, 2, 4, 8, 16].contains(&bpc)
        || !(1..=1 << 24).contains(&columns)
    {
        return Err(Error::Decompress {
            offset,
            reason: "invalid predictor parameters".into(),
        });
    }
    let bits_per_pixel = (colors * bpc) as usize;
    let bpp = bits_per_pixel.div_ceil(8).max(1);
    // A row longer than the data is malformed; never allocate more than the data holds.
    let row_len = (bits_per_pixel * columns as usize)
        .div_ceil(8)
        .min(data.len().max(1));
    if predictor == 2 {
        if bpc != 8 {
            return Err(Error::Decompress {
                offset,
                reason: "TIFF predictor supported for 8 bits per component only".into(),
            });
        }
        let mut out = data;
        for row in out.chunks_mut(row_len) {
            for i in bpp..row.len() {
                row[i] = row[i].wrapping_add(row[i - bpp]);
            }
        }
        return Ok(out);
    }
    let mut out = Vec::with_capacity(data.len());
    let mut prev = vec![0u8; row_len];
    for chunk in data.chunks(row_len + 1) {
        let Some((&kind, encoded)) = chunk.split_first() else {
            break;
        };
        let mut row = encoded.to_vec();
        row.resize(row_len, 0);
        for i in 0..row_len {
            let left = if i >= bpp { row[i - bpp] } else { 0 };
            let up = prev[i];
            let up_left = if i >= bpp { prev[i - bpp] } else { 0 };
            row[i] = match kind {
                0 => row[i],
                1 => row[i].wrapping_add(left),
                2 => row[i].wrapping_add(up),
                3 => row[i].wrapping_add(((u16::from(left) + u16::from(up)) / 2) as u8),
                4 => row[i].wrapping_add(paeth(left, up, up_left)),
                _ => {
                    return Err(Error::Decompress {
                        offset,
                        reason: format!("unknown PNG predictor row type {kind}"),
                    })
                }
            };
        }
        out.extend_from_slice(&row);
        prev = row;
    }
    Ok(out)
}

fn paeth(a: u8, b: u8, c: u8) -> u8 {
    let p = i16::from(a) + i16::from(b) - i16::from(c);
    let pa = (p - i16::from(a)).abs();
    let pb = (p - i16::from(b)).abs();
    let pc = (p - i16::from(c)).abs();
    if pa <= pb && pa <= pc {
        a
    } else if pb <= pc {
        b
    } else {
        c
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn zlib(data: &[u8]) -> Vec<u8> {
        let mut e = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
        e.write_all(data).unwrap();
        e.finish().unwrap()
    }

    #[test]
    fn png_up_predictor() {
        // Two rows of 3 columns, filter type 2 (Up).
        let encoded = [2u8, 1, 2, 3, 2, 1, 1, 1];
        let parm = Dict::new().with("Predictor", 12).with("Columns", 3);
        let dict = Dict::new()
            .with("Filter", Object::name("FlateDecode"))
            .with("DecodeParms", parm);
        let out = decode(&dict, zlib(&encoded), 0, 1000).unwrap();
        assert_eq!(out, vec![1, 2, 3, 2, 3, 4]);
    }

    #[test]
    fn the_head_of_a_padded_stream_is_decoded_alone() {
        // Two rows of 3 columns (Up predictor), then a megabyte of padding that is never needed.
        let mut encoded = vec![2u8, 1, 2, 3, 2, 1, 1, 1];
        encoded.resize(encoded.len() + (1 << 20), 0);
        let parm = Dict::new().with("Predictor", 12).with("Columns", 3);
        let dict = Dict::new()
            .with("Filter", Object::name("FlateDecode"))
            .with("DecodeParms", parm);
        // The whole would be refused at a cap of 1000 bytes; the head is not.
        assert!(decode(&dict, zlib(&encoded), 0, 1000).is_err());
        let head = decode_head(&dict, zlib(&encoded), 0, 1000, 6).unwrap();
        assert_eq!(head, vec![1, 2, 3, 2, 3, 4]);
    }

    #[test]
    fn output_is_capped() {
        let dict = Dict::new().with("Filter", Object::name("FlateDecode"));
        let bomb = zlib(&vec![0u8; 100_000]);
        assert!(matches!(
            decode(&dict, bomb, 0, 1000),
            Err(Error::LimitExceeded { .. })
        ));
    }
}
