//! Large rule sets: past the size at which the machine's hash indexes get a Bloom filter in front
//! (8,192 keys), every key is still found, shared keys report every rule, and a rule matched by
//! several values of one event is reported once.

use eventsift::Machine;

const N: usize = 20_000;

fn machine() -> Machine {
    let mut b = Machine::builder();
    for i in 0..N {
        b.add(format!("s{i}").as_str(), &format!(r#"{{"detail": {{"id": ["id-{i}"]}}}}"#)).unwrap();
        b.add(format!("n{i}").as_str(), &format!(r#"{{"detail": {{"n": [{i}]}}}}"#)).unwrap();
        b.add(format!("p{i}").as_str(), &format!(r#"{{"source": [{{"prefix": "svc-{i}."}}]}}"#)).unwrap();
        b.add(format!("c{i}").as_str(), &format!(r#"{{"region": [{{"equals-ignore-case": "Zone-{i}"}}]}}"#)).unwrap();
    }
    // Shared keys: ten rules name the same value; one rule names two values of one field.
    for j in 0..10 {
        b.add(format!("shared{j}").as_str(), r#"{"detail": {"id": ["id-7"]}}"#).unwrap();
    }
    b.add("two", r#"{"detail": {"id": ["id-11", "id-12"]}}"#).unwrap();
    // A second pattern under an existing id ORs with it.
    b.add("s5", r#"{"other": ["x"]}"#).unwrap();
    b.build()
}

fn hits(m: &Machine, event: &str) -> Vec<String> {
    let mut scratch = m.scratch();
    let mut v: Vec<String> = m.matches(event, &mut scratch).unwrap().map(|id| id.to_string()).collect();
    v.sort();
    v
}

#[test]
fn every_key_of_a_large_index_is_found() {
    let m = machine();
    for i in (0..N).step_by(7) {
        let event = format!(
            r#"{{"detail": {{"id": "id-{i}", "n": {i}.0}}, "source": "svc-{i}.orders", "region": "ZONE-{i}"}}"#
        );
        let mut want = vec![format!("c{i}"), format!("n{i}"), format!("p{i}"), format!("s{i}")];
        if i == 7 {
            want.extend((0..10).map(|j| format!("shared{j}")));
        }
        want.sort();
        assert_eq!(hits(&m, &event), want, "{event}");
    }
    // Values no rule names.
    for i in N..N + 2_000 {
        let event =
            format!(r#"{{"detail": {{"id": "id-{i}", "n": {i}}}, "source": "svc-{i}.orders", "region": "zone-{i}"}}"#);
        assert!(hits(&m, &event).is_empty(), "{event}");
    }
}

#[test]
fn a_rule_matched_by_several_values_is_reported_once() {
    let m = machine();
    assert_eq!(hits(&m, r#"{"detail": {"id": ["id-11", "id-12", "id-11"]}}"#), ["s11", "s12", "two"]);
    assert_eq!(hits(&m, r#"{"other": "x", "detail": {"id": "id-5"}}"#), ["s5"]);
    let mut scratch = m.scratch();
    assert!(m.is_match(r#"{"detail": {"id": ["nope", "id-12"]}}"#, &mut scratch).unwrap());
    assert!(!m.is_match(r#"{"detail": {"id": ["nope", "id-20000"]}}"#, &mut scratch).unwrap());
}
