//! The generated CL2 corpus (`benches/workload/generate.rs`): deterministic, CityLots-shaped, and
//! every rule set's machine agrees with the reference matcher on it.

#[path = "../benches/workload/mod.rs"]
mod cl2;

#[test]
fn generated_corpus_is_deterministic_and_citylots_shaped() {
    let a = cl2::generate::generate(3_000, cl2::generate::SEED);
    let b = cl2::generate::generate(3_000, cl2::generate::SEED);
    assert_eq!(a.len(), 3_000);
    assert!(a.iter().eq(b.iter()), "same seed, same events");
    let c = cl2::generate::generate(3_000, cl2::generate::SEED + 1);
    assert!(!a.iter().eq(c.iter()), "another seed, other events");
    let mut multi = 0;
    for e in a.iter() {
        assert!(e.starts_with(r#"{"type":"Feature","properties":{"MAPBLKLOT":""#), "{e}");
        let v: serde_json::Value = serde_json::from_str(e).unwrap_or_else(|err| panic!("{err}: {e}"));
        let keys = |o: &serde_json::Value| o.as_object().unwrap().keys().cloned().collect::<Vec<_>>().join(",");
        // serde_json sorts keys; the order in the text is checked by the offsets below.
        assert_eq!(keys(&v["properties"]), "BLKLOT,BLOCK_NUM,FROM_ST,LOT_NUM,MAPBLKLOT,ODD_EVEN,STREET,ST_TYPE,TO_ST");
        let order =
            ["\"properties\"", "\"BLKLOT\"", "\"ODD_EVEN\"", "\"geometry\"", "\"coordinates\"", "\"firstCoordinates\""];
        let at: Vec<usize> = order.iter().map(|k| e.find(k).unwrap()).collect();
        assert!(at.windows(2).all(|w| w[0] < w[1]), "key order: {e}");
        let g = &v["geometry"];
        let ring = match g["type"].as_str().unwrap() {
            "Polygon" => &g["coordinates"][0],
            "MultiPolygon" => {
                multi += 1;
                &g["coordinates"][0][0]
            }
            other => panic!("{other}"),
        };
        let ring = ring.as_array().unwrap();
        assert!((4..=25).contains(&ring.len()), "{e}");
        assert_eq!(ring.first(), ring.last(), "closed ring: {e}");
        assert_eq!(ring[0], g["firstCoordinates"]);
        assert!(e.contains(r#","z":0}"#));
        // Shortest round-trip formatting, as in CityLots2: every coordinate's text is what Rust
        // prints for the double it denotes (serde_json's parse is not correctly rounded).
        for text in e.split(r#"{"x":"#).skip(1) {
            let x = &text[..text.find(',').unwrap()];
            let y = &text[text.find(r#""y":"#).unwrap() + 4..text.find(r#","z""#).unwrap()];
            for (t, range) in [(x, -122.52..-122.35), (y, 37.70..37.84)] {
                let v: f64 = t.parse().unwrap();
                assert_eq!(v.to_string(), t, "{e}");
                assert!(range.contains(&v), "{e}");
            }
        }
    }
    assert!(multi > 0);
}

#[test]
fn machines_agree_with_the_reference_on_the_generated_corpus() {
    let events = cl2::generate::generate(400, cl2::generate::SEED);
    let corpus = cl2::Corpus::Generated { events: 400, seed: cl2::generate::SEED };
    // 400 events is below the default sample size: every event is checked.
    let (sets, checked) = cl2::rule_sets(&corpus, &events);
    assert!(matches!(checked, cl2::Checked::All));
    let mut matched = 0;
    for set in &sets {
        for mode in [None, Some(eventsift::ReadMode::Strict), Some(eventsift::ReadMode::EarlyStop)] {
            let machine = cl2::machine(set, mode);
            let counts = cl2::count(&machine, set, events.iter());
            cl2::assert_counts(set, &counts);
            matched += counts.iter().sum::<u64>();
        }
    }
    assert!(matched > 0);
}
