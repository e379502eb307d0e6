//! A deterministic, seeded CityLots-shaped corpus, so that the CL2 benchmark and example run on a
//! fresh clone with nothing next to it.
//!
//! The events have the shape, key order and number formatting of CityLots2 (San Francisco lots as
//! GeoJSON features): `type`, then `properties` (`MAPBLKLOT`, `BLKLOT`, `BLOCK_NUM`, `LOT_NUM`,
//! `FROM_ST`, `TO_ST`, `STREET`, `ST_TYPE`, `ODD_EVEN`; `ST_TYPE` and `ODD_EVEN` sometimes `null`),
//! then `geometry` with `type`, `coordinates` (one closed ring of 4–25 `{x,y,z}` objects, nested
//! one level deeper for the rare `MultiPolygon`) and `firstCoordinates` last. Coordinates are
//! printed as Rust prints an `f64` (shortest round-trip form: `-122.37524688111087`,
//! `37.710734310448366`), `z` as `0`.
//!
//! The value distributions follow the surrogate corpus `citylots2-synthetic.json.gz` (measured on
//! it, not copied from it): lots numbered within blocks of about 27 lots in block order, a street and
//! street type per block drawn with the surrogate's frequencies, house numbers rising along each
//! side of a block, 8% of lots carrying the previous lot's `MAPBLKLOT`, lot centres uniform over
//! the surrogate's bounding box. A few values are planted so that every rule of `cl2-rules.json`
//! has something to find at any corpus size: blocks 1430, 2607 and 3745 with 230 lots each (the
//! EXACT and WILDCARD lots), one `VACSTWIL`, two lots starting at `x = -122.42916360922355`, and
//! one `MultiPolygon` in 1,705 lots (about half of them with a vertex at `y = 37.729900216217324`).
//!
//! Nothing here decides what a rule should match: the expected counts are computed from the
//! generated text by the reference matcher (`super::reference_counts`). The planted events are
//! listed so that the reference check's sample includes them (`super::Checked`).

use std::fmt::Write;

/// Events in the default generated corpus: as many as CityLots2 has.
pub const DEFAULT_EVENTS: usize = 213_068;

/// The seed of the default corpus. Changing it (or anything below) changes the corpus and its
/// counts, which are recomputed on every run, so nothing else needs updating.
pub const SEED: u64 = 0xC17F_1075_2026_0011;

/// SplitMix64 (Steele, Lea and Flood 2014): tiny, fast and good enough for test data.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// Uniform in [0, n).
    fn below(&mut self, n: u64) -> u64 {
        ((u128::from(self.next()) * u128::from(n)) >> 64) as u64
    }

    fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }

    fn uniform(&mut self, low: f64, high: f64) -> f64 {
        low + (high - low) * self.unit()
    }

    /// An index into `weights`, drawn in proportion to them.
    fn weighted<T>(&mut self, table: &[(T, u32)], total: u32) -> usize {
        let mut r = self.below(u64::from(total)) as u32;
        for (i, (_, w)) in table.iter().enumerate() {
            if r < *w {
                return i;
            }
            r -= w;
        }
        table.len() - 1
    }
}

/// Street names with their frequencies in the surrogate corpus (lots per street).
#[rustfmt::skip]
const STREETS: &[(&str, u32)] = &[
    ("MISSION", 7146), ("MARKET", 3917), ("FULTON", 3494), ("VALENCIA", 3376), ("GEARY", 3336),
    ("IRVING", 3303), ("SANTIAGO", 3231), ("KIRKHAM", 3194), ("CALIFORNIA", 3105), ("ANZA", 3068),
    ("19TH", 2876), ("JUDAH", 2874), ("LAWTON", 2731), ("24TH", 2713), ("HARRISON", 2674),
    ("SACRAMENTO", 2673), ("QUINTARA", 2643), ("NORIEGA", 2575), ("CABRILLO", 2566), ("25TH", 2528),
    ("GUERRERO", 2518), ("BALBOA", 2512), ("CHURCH", 2492), ("20TH", 2490), ("18TH", 2490),
    ("FOLSOM", 2432), ("TARAVAL", 2395), ("PACHECO", 2367), ("ULLOA", 2339), ("CLEMENT", 2289),
    ("SCOTT", 2270), ("RIVERA", 2210), ("LOMBARD", 2209), ("ORTEGA", 2177), ("FILBERT", 2162),
    ("PACIFIC", 2096), ("17TH", 2079), ("SANCHEZ", 2059), ("CLAY", 2055), ("NOE", 2052),
    ("JACKSON", 2015), ("BRYANT", 1998), ("LARKIN", 1988), ("FUNSTON", 1955), ("MORAGA", 1950),
    ("DOLORES", 1924), ("POLK", 1918), ("WASHINGTON", 1876), ("WAWONA", 1875), ("CASTRO", 1867),
    ("30TH", 1838), ("VICENTE", 1831), ("HYDE", 1827), ("41ST", 1826), ("LEAVENWORTH", 1800),
    ("STOCKTON", 1762), ("GREENWICH", 1754), ("HOLLOWAY", 1748), ("GREEN", 1740), ("OCEAN", 1739),
    ("DIAMOND", 1730), ("LAGUNA", 1719), ("VAN NESS", 1697), ("PAGE", 1692), ("BROADWAY", 1652),
    ("SLOAT", 1645), ("UNION", 1635), ("GROVE", 1625), ("BUCHANAN", 1584), ("GOUGH", 1559),
    ("CHESTNUT", 1539), ("MASON", 1470), ("STEINER", 1448), ("WEBSTER", 1432), ("FRANCISCO", 1428),
    ("HAYES", 1411), ("VALLEJO", 1354), ("POWELL", 1350), ("FILLMORE", 1310), ("DIVISADERO", 1280),
    ("GRANT", 1269), ("JONES", 1255), ("PORTOLA", 1209), ("OCTAVIA", 1189), ("FELL", 1126),
    ("OAK", 1115), ("PIERCE", 1113), ("3RD", 1110), ("HUDSON", 1070), ("RHODE ISLAND", 1021),
    ("TAYLOR", 1021), ("LYON", 975), ("FRANKLIN", 932), ("BAKER", 929), ("UNKNOWN", 905),
    ("SANSOME", 874), ("CAROLINA", 866), ("WALLER", 850), ("BAY", 845), ("MONTGOMERY", 845),
    ("HAIGHT", 844), ("WISCONSIN", 832), ("BATTERY", 824), ("NORTH POINT", 809), ("BRODERICK", 773),
    ("CONNECTICUT", 768), ("ARKANSAS", 761), ("KEARNY", 710), ("BEACH", 644), ("DAVIS", 600),
    ("DE HARO", 575), ("JENNINGS", 568), ("FRONT", 562), ("LA PLAYA", 559), ("INGALLS", 546),
    ("BURNETT", 511), ("CHICAGO", 501), ("DRAKE", 491), ("DRUMM", 465), ("JEFFERSON", 452),
    ("LE CONTE", 405), ("KING", 375), ("BLUXOME", 289), ("ACTON", 281), ("TWIN PEAKS", 256),
    ("ACADIA", 222), ("BLAKE", 195), ("BLYTHDALE", 131), ("DRESDEN", 66), ("STERLING", 27),
];

/// Street types (`None` is JSON `null`) with their frequencies in the surrogate corpus.
const ST_TYPES: &[(Option<&str>, u32)] = &[
    (Some("ST"), 165_170),
    (Some("AVE"), 21_802),
    (Some("BLVD"), 7_061),
    (None, 4_619),
    (Some("DR"), 3_401),
    (Some("WAY"), 2_255),
    (Some("ALY"), 2_090),
    (Some("TER"), 1_778),
    (Some("PL"), 1_722),
    (Some("LN"), 1_587),
    (Some("CT"), 1_583),
];

/// Blocks with 230 lots, as in the surrogate (the EXACT rules name lots 022, 117, 218 and 012 of
/// them).
const BIG_BLOCKS: [u32; 3] = [1430, 2607, 3745];
/// `MAPBLKLOT`s the EXACT rules name: never replaced by the previous lot's.
const NAMED_LOTS: [&str; 4] = ["1430022", "2607117", "2607218", "3745012"];
/// Blocks in the whole of CityLots2 (the last block number reached at the default size).
const BLOCKS: f64 = 7_900.0;
/// Mean lots per block.
const LOTS_PER_BLOCK: f64 = 27.0;
/// One lot in this many is a `MultiPolygon`.
const MULTI_POLYGON_EVERY: usize = 1_705;
/// The bounding box of the lot centres.
const X_RANGE: (f64, f64) = (-122.5161, -122.3548);
const Y_RANGE: (f64, f64) = (37.7058, 37.8352);
/// Half the width of a lot, in degrees.
const HALF_LOT: f64 = 0.0004;

fn push_point(out: &mut String, x: f64, y: f64) {
    write!(out, r#"{{"x":{x},"y":{y},"z":0}}"#).unwrap();
}

fn push_str_or_null(out: &mut String, key: &str, value: Option<&str>) {
    match value {
        Some(v) => write!(out, r#""{key}":"{v}""#).unwrap(),
        None => write!(out, r#""{key}":null"#).unwrap(),
    }
}

/// `n` events, one per line, from `seed`.
pub fn generate(n: usize, seed: u64) -> super::Events {
    let mut rng = Rng(seed);
    let mut events =
        super::Events { text: String::with_capacity(n * 860), ends: Vec::with_capacity(n), planted: Vec::new() };
    let street_total: u32 = STREETS.iter().map(|s| s.1).sum();
    let type_total: u32 = ST_TYPES.iter().map(|s| s.1).sum();
    // Block numbers advance so that the corpus spans 0001..~7900 whatever its size, stopping on
    // each of BIG_BLOCKS.
    let stride = (BLOCKS * LOTS_PER_BLOCK / n.max(1) as f64).max(1.0);
    let planted_x = [n / 5, 3 * n / 5];
    let vacstwil = n * 687 / 1000;
    let mut block = 0u32;
    let mut points: Vec<(f64, f64)> = Vec::with_capacity(32);
    while events.len() < n {
        let mut next = block + ((stride * (0.5 + rng.unit())).round() as u32).max(1);
        if let Some(&big) = BIG_BLOCKS.iter().find(|&&b| block < b && b < next) {
            next = big;
        }
        block = next;
        let big = BIG_BLOCKS.contains(&block);
        let lots = if big { 230 } else { (1.0 - rng.unit().ln() * (LOTS_PER_BLOCK - 1.0)).min(300.0) as u32 };
        let block_num = if !big && rng.chance(0.037) {
            format!("{block:04}{}", char::from(b'A' + rng.below(8) as u8))
        } else {
            format!("{block:04}")
        };
        let street = STREETS[rng.weighted(STREETS, street_total)].0;
        let st_type = ST_TYPES[rng.weighted(ST_TYPES, type_total)].0;
        let mut house = if rng.chance(0.07) { 3000 + rng.below(1400) } else { 1 + rng.below(3000) };
        let odd_side_lots = lots.div_ceil(2);
        let mut map_blk_lot = String::new();
        for lot in 1..=lots {
            if events.len() == n {
                break;
            }
            let i = events.len();
            let multi = i % MULTI_POLYGON_EVERY == MULTI_POLYGON_EVERY / 2;
            if big || multi || i == vacstwil || planted_x.contains(&i) {
                events.planted.push(i);
            }
            // House numbers rise along the odd side, then along the even side.
            let odd = lot <= odd_side_lots;
            house += 2 * rng.below(6);
            if house % 2 != u64::from(odd) {
                house += 1;
            }
            let to = house + [0, 0, 0, 2, 4][rng.below(5) as usize];
            let blk_lot = format!("{block_num}{lot:03}");
            let sticky = lot > 1 && rng.chance(0.084) && !NAMED_LOTS.contains(&blk_lot.as_str());
            if !sticky {
                map_blk_lot.clone_from(&blk_lot);
            }
            let odd_even = if rng.chance(0.0305) {
                None
            } else if odd {
                Some("O")
            } else {
                Some("E")
            };
            let t = &mut events.text;
            t.push_str(r#"{"type":"Feature","properties":{"#);
            let mapped = if i == vacstwil { "VACSTWIL" } else { map_blk_lot.as_str() };
            write!(
                t,
                r#""MAPBLKLOT":"{mapped}","BLKLOT":"{blk_lot}","BLOCK_NUM":"{block_num}","LOT_NUM":"{lot:03}","FROM_ST":"{house}","TO_ST":"{to}","STREET":"{street}","#
            )
            .unwrap();
            push_str_or_null(t, "ST_TYPE", st_type);
            t.push(',');
            push_str_or_null(t, "ODD_EVEN", odd_even);
            // The lot: a closed ring of 4..=25 vertices (the first repeated last) around its centre.
            let (cx, cy) = (rng.uniform(X_RANGE.0, X_RANGE.1), rng.uniform(Y_RANGE.0, Y_RANGE.1));
            let spread = (0..4).map(|_| rng.unit()).sum::<f64>() - 2.0; // mean 0, sd 0.58
            let vertices = (10.4 + spread * 6.0).round().clamp(4.0, 25.0) as usize;
            points.clear();
            for _ in 1..vertices {
                points.push((cx + rng.uniform(-HALF_LOT, HALF_LOT), cy + rng.uniform(-HALF_LOT, HALF_LOT)));
            }
            if planted_x.contains(&i) && !multi {
                points[0].0 = -122.42916360922355;
            }
            if multi && rng.chance(0.55) {
                points[1].1 = 37.729900216217324;
            }
            points.push(points[0]);
            let (kind, open, close) = if multi { ("MultiPolygon", "[[[", "]]]") } else { ("Polygon", "[[", "]]") };
            write!(t, r#"}},"geometry":{{"type":"{kind}","coordinates":{open}"#).unwrap();
            for (k, &(x, y)) in points.iter().enumerate() {
                if k > 0 {
                    t.push(',');
                }
                push_point(t, x, y);
            }
            write!(t, r#"{close},"firstCoordinates":"#).unwrap();
            push_point(t, points[0].0, points[0].1);
            t.push_str("}}");
            events.ends.push(t.len());
        }
    }
    events
}
