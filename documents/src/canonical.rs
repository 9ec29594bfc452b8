//! The canonical JSON of what a document shows, and its SHA-256: object keys sorted by their
//! UTF-8 bytes at every level, no whitespace, strings escaped as serde_json escapes them. Written
//! by hand rather than by `serde_json::to_vec`, whose key order changes if any crate in the build
//! turns on serde_json's `preserve_order`.

use serde_json::Value;

pub(crate) fn to_bytes(value: &Value) -> Vec<u8> {
    let mut out = Vec::with_capacity(4096);
    write(value, &mut out);
    out
}

pub(crate) fn sha256_hex(bytes: &[u8]) -> String {
    offgrid_common::sha256_hex(bytes)
}

fn write(value: &Value, out: &mut Vec<u8>) {
    match value {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            out.push(b'{');
            for (n, key) in keys.into_iter().enumerate() {
                if n > 0 {
                    out.push(b',');
                }
                scalar(&Value::String(key.clone()), out);
                out.push(b':');
                write(&map[key], out);
            }
            out.push(b'}');
        }
        Value::Array(items) => {
            out.push(b'[');
            for (n, item) in items.iter().enumerate() {
                if n > 0 {
                    out.push(b',');
                }
                write(item, out);
            }
            out.push(b']');
        }
        other => scalar(other, out),
    }
}

fn scalar(value: &Value, out: &mut Vec<u8>) {
    // Writing a scalar into a Vec cannot fail.
    let _ = serde_json::to_writer(&mut *out, value);
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn keys_are_sorted_at_every_level_and_nothing_is_spaced() {
        let value = json!({"b": 1, "a": {"z": [true, null, "名"], "y": 2.5}, "A": "x\"y"});
        assert_eq!(
            String::from_utf8(to_bytes(&value)).unwrap(),
            r#"{"A":"x\"y","a":{"y":2.5,"z":[true,null,"名"]},"b":1}"#
        );
    }

    #[test]
    fn equal_content_in_any_insertion_order_hashes_the_same() {
        let one = json!({"x": 1, "y": {"p": 1, "q": 2}});
        let two: Value = serde_json::from_str(r#"{"y":{"q":2,"p":1},"x":1}"#).unwrap();
        assert_eq!(sha256_hex(&to_bytes(&one)), sha256_hex(&to_bytes(&two)));
        assert_ne!(
            sha256_hex(&to_bytes(&one)),
            sha256_hex(&to_bytes(&json!({"x": 2})))
        );
        assert_eq!(sha256_hex(b"").len(), 64);
    }
}
