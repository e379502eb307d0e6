#[path = "../benches/workload/mod.rs"]
mod cl2;
fn main() {
    let args: Vec<String> = std::env::args().collect();
    let cat = &args[1];
    let mode = match args[2].as_str() {
        "skip" => eventsift::ReadMode::Skip,
        _ => eventsift::ReadMode::EarlyStop,
    };
    let path = std::path::Path::new("../shared/data/citylots2-synthetic.json.gz");
    let set = cl2::rule_sets(path).into_iter().find(|s| &s.name == cat).unwrap();
    let machine = cl2::machine(&set, mode);
    let text = std::fs::read_to_string("/tmp/cl5000.jsonl").unwrap();
    let mut scratch = machine.scratch();
    let mut n = 0;
    for line in text.lines() {
        n += machine.matches(line, &mut scratch).unwrap().len();
    }
    println!("{n}");
}
