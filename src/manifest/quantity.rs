//! Kubernetes resource quantities (`500m`, `1.5`, `2Gi`, `1e3`), exactly, as thousandths of
//! the unit: enough to compare a pod's requests with a quota the way admission does, without
//! floating-point rounding deciding whether `1536Mi + 512Mi` fits in `2Gi`.

use serde_json::Value;

/// The quantity in thousandths of its unit (millicores, millibytes); `None` when it is not a
/// quantity (an Argo `{{…}}` expression, a typo).
pub fn milli(q: &Value) -> Option<i128> {
    match q {
        Value::Number(n) => parse(&n.to_string()),
        Value::String(s) => parse(s),
        _ => None,
    }
}

fn parse(s: &str) -> Option<i128> {
    let s = s.trim();
    let split = s
        .find(|c: char| !(c.is_ascii_digit() || c == '.' || c == '+' || c == '-'))
        .unwrap_or(s.len());
    let (number, suffix) = s.split_at(split);
    // (multiplier, divisor) of the suffix, applied to thousandths.
    let (mul, div): (i128, i128) = match suffix {
        "" => (1000, 1),
        "m" => (1, 1),
        "u" => (1, 1000),
        "n" => (1, 1_000_000),
        "k" => (1000 * 1000, 1),
        "M" => (1000 * 1_000_000, 1),
        "G" => (1000 * 1_000_000_000, 1),
        "T" => (1000 * 1_000_000_000_000, 1),
        "P" => (1000 * 1_000_000_000_000_000, 1),
        "E" => (1000 * 1_000_000_000_000_000_000, 1),
        "Ki" => (1000 << 10, 1),
        "Mi" => (1000 << 20, 1),
        "Gi" => (1000 << 30, 1),
        "Ti" => (1000 << 40, 1),
        "Pi" => (1000 << 50, 1),
        "Ei" => (1000 << 60, 1),
        e if e.starts_with(['e', 'E']) => {
            let exp: u32 = e[1..].parse().ok().filter(|x| *x <= 18)?;
            (1000 * 10i128.pow(exp), 1)
        }
        _ => return None,
    };
    let negative = number.starts_with('-');
    let number = number.trim_start_matches(['+', '-']);
    let (whole, fraction) = number.split_once('.').unwrap_or((number, ""));
    if whole.is_empty() && fraction.is_empty()
        || !whole
            .chars()
            .chain(fraction.chars())
            .all(|c| c.is_ascii_digit())
        || fraction.len() > 9
    {
        return None;
    }
    let scale = 10i128.pow(fraction.len() as u32);
    let digits: i128 = format!("{whole}{fraction}").parse().ok()?;
    let value = digits.checked_mul(mul)? / (scale * div);
    Some(if negative { -value } else { value })
}

/// `milli` back into a readable quantity for messages: `1536Mi`, `1.5`, `250m`.
pub fn show(milli: i128, memory: bool) -> String {
    if memory {
        let bytes = milli / 1000;
        for (suffix, shift) in [("Gi", 30), ("Mi", 20), ("Ki", 10)] {
            if bytes != 0 && bytes % (1 << shift) == 0 {
                return format!("{}{suffix}", bytes >> shift);
            }
        }
        bytes.to_string()
    } else if milli % 1000 == 0 {
        (milli / 1000).to_string()
    } else {
        format!("{milli}m")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn parses_the_forms_kubernetes_accepts() {
        for (q, want) in [
            (json!("500m"), 500),
            (json!("1.5"), 1500),
            (json!(2), 2000),
            (json!("0.25"), 250),
            (json!("1k"), 1_000_000),
            (json!("1Ki"), 1_024_000),
            (json!("1536Mi"), 1536 * 1024 * 1024 * 1000),
            (json!("2Gi"), 2 * 1024 * 1024 * 1024 * 1000),
            (json!("1e3"), 1_000_000),
            (json!("1G"), 1_000_000_000_000),
        ] {
            assert_eq!(milli(&q), Some(want), "{q}");
        }
        assert_eq!(
            milli(&json!("1536Mi")).expect("quantity") + milli(&json!("512Mi")).expect("quantity"),
            milli(&json!("2Gi")).expect("quantity")
        );
        for bad in [
            json!("{{inputs.parameters.cpu}}"),
            json!("1.2.3"),
            json!("2GB"),
            json!(""),
            json!(null),
        ] {
            assert_eq!(milli(&bad), None, "{bad}");
        }
    }

    #[test]
    fn shows_what_people_write() {
        assert_eq!(
            show(milli(&json!("1536Mi")).expect("quantity"), true),
            "1536Mi"
        );
        assert_eq!(show(milli(&json!("2Gi")).expect("quantity"), true), "2Gi");
        assert_eq!(
            show(milli(&json!("1500m")).expect("quantity"), false),
            "1500m"
        );
        assert_eq!(show(milli(&json!("2")).expect("quantity"), false), "2");
    }
}
