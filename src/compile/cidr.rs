//! `cidr` ranges over IPv4 and IPv6 addresses.
//!
//! Host bits of the base address are ignored (`10.0.0.5/24` is `10.0.0.0/24`); `/0` through `/32`
//! (IPv4) and `/128` (IPv6) are accepted, so a single address can be written `/32` — a deliberate
//! difference from event-ruler, which rejects `/32` and `/128`.

use std::net::Ipv6Addr;

/// A parsed IP address as a 128-bit number plus its family.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Ip {
    V4(u32),
    V6(u128),
}

/// Parses an IP address literal. IPv4 is dotted decimal with four parts of 1–3 digits (leading zeros
/// allowed, as event-ruler allows them); IPv6 is any RFC 4291 text form (compressed, expanded, mixed
/// with an IPv4 tail, either case).
pub(crate) fn parse_ip(text: &str) -> Option<Ip> {
    if text.contains(':') {
        return text.parse::<Ipv6Addr>().ok().map(|a| Ip::V6(u128::from(a)));
    }
    let mut value: u32 = 0;
    let mut parts = 0;
    for part in text.split('.') {
        if part.is_empty() || part.len() > 3 || !part.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let octet: u32 = part.parse().ok()?;
        if octet > 255 {
            return None;
        }
        value = (value << 8) | octet;
        parts += 1;
    }
    (parts == 4).then_some(Ip::V4(value))
}

/// An address range `base/bits`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cidr {
    base: Ip,
    bits: u32,
}

impl Cidr {
    /// Parses `addr/bits`; the error is the EventBridge reason text.
    pub(crate) fn parse(text: &str) -> Result<Cidr, String> {
        let mut pieces = text.split('/');
        let (Some(addr), Some(bits), None) = (pieces.next(), pieces.next(), pieces.next()) else {
            return Err("Malformed CIDR, one '/' required".into());
        };
        let bits: i64 = match bits.parse() {
            Ok(b) => b,
            Err(_) if bits.starts_with('-') && bits[1..].bytes().all(|b| b.is_ascii_digit()) && bits.len() > 1 => -1,
            Err(_) => return Err("Malformed CIDR, mask bits must be an integer".into()),
        };
        if bits < 0 {
            return Err("Malformed CIDR, mask bits must not be negative".into());
        }
        let base = parse_ip(addr).ok_or_else(|| format!("Nonstandard IP address: {addr}"))?;
        match base {
            Ip::V4(_) if bits > 32 => Err("IPv4 mask bits must be <= 32".into()),
            Ip::V6(_) if bits > 128 => Err("IPv6 mask bits must be <= 128".into()),
            _ => Ok(Cidr { base, bits: bits as u32 }),
        }
    }

    /// The base address as written (host bits not cleared).
    #[cfg(feature = "proptest")]
    pub(crate) fn base(&self) -> Ip {
        self.base
    }

    /// The number of mask bits.
    #[cfg(feature = "proptest")]
    pub(crate) fn bits(&self) -> u32 {
        self.bits
    }

    /// Is the string `text` an address inside this range?
    pub(crate) fn contains(&self, text: &str) -> bool {
        match (self.base, parse_ip(text)) {
            (Ip::V4(base), Some(Ip::V4(ip))) => {
                let mask = u32::MAX.checked_shl(32 - self.bits).unwrap_or(0);
                base & mask == ip & mask
            }
            (Ip::V6(base), Some(Ip::V6(ip))) => {
                let mask = u128::MAX.checked_shl(128 - self.bits).unwrap_or(0);
                base & mask == ip & mask
            }
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges() {
        let c = Cidr::parse("10.0.0.5/24").unwrap();
        assert!(c.contains("10.0.0.255") && c.contains("10.0.0.0") && c.contains("10.0.0.01"));
        assert!(!c.contains("10.0.1.0") && !c.contains("10.0.0.256") && !c.contains("x"));
        assert!(Cidr::parse("0.0.0.0/0").unwrap().contains("255.1.2.3"));
        let one = Cidr::parse("10.0.0.1/32").unwrap();
        assert!(one.contains("10.0.0.1") && !one.contains("10.0.0.2"));
        let v6 = Cidr::parse("2001:db8:1234:1a00::/64").unwrap();
        assert!(v6.contains("2001:0db8:1234:1a00:0000:0000:0000:0000"));
        assert!(v6.contains("2001:DB8:1234:1A00::FFFF"));
        assert!(!v6.contains("2001:0db8:123f:1a01::") && !v6.contains("10.0.0.1"));
        assert!(Cidr::parse("::/0").unwrap().contains("::1"));
        assert!(Cidr::parse("::1/128").unwrap().contains("0:0:0:0:0:0:0:1"));
    }

    #[test]
    fn errors() {
        let e = |t: &str| Cidr::parse(t).unwrap_err();
        assert_eq!(e("10.0.0.0"), "Malformed CIDR, one '/' required");
        assert_eq!(e("10.0.0.0/8/8"), "Malformed CIDR, one '/' required");
        assert_eq!(e("10.0.0.0/x"), "Malformed CIDR, mask bits must be an integer");
        assert_eq!(e("10.0.0.0/-1"), "Malformed CIDR, mask bits must not be negative");
        assert_eq!(e("10.0.0.256/8"), "Nonstandard IP address: 10.0.0.256");
        assert_eq!(e("10.0.0.0/33"), "IPv4 mask bits must be <= 32");
        assert_eq!(e("::/129"), "IPv6 mask bits must be <= 128");
    }
}
