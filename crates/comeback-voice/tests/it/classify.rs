//! The open-answer classifier: handcrafted cases per language, the extension CSV, the
//! development set's accuracy floors and the held-out evaluation set.

use comeback_voice::classify::*;

fn dev_set() -> Vec<LabelledAnswer> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../data/voice/dev");
    let mut out = Vec::new();
    for l in Language::ALL {
        let path = format!("{dir}/{l}.csv");
        let Ok(text) = std::fs::read_to_string(&path) else {
            continue;
        };
        out.extend(parse_labelled_csv(&text).unwrap_or_else(|e| panic!("{}", e.located(&path))));
    }
    out
}

fn print(ev: &Evaluation) {
    for g in ev.per_language.iter().chain(&ev.per_tag).chain(&ev.overall) {
        println!(
            "{:12} n={:3} exact={:3} acc={:.3} microF1={:.3}",
            g.group,
            g.answers,
            g.exact,
            g.accuracy(),
            g.micro.f1()
        );
    }
    for m in &ev.misclassified {
        println!(
            "{} {:?} gold={:?} pred={:?} {:?}",
            m.id, m.text, m.gold, m.predicted, m.evidence
        );
    }
}

#[test]
fn dev_accuracy() {
    let c = Classifier::builtin();
    let ev = c.evaluate(&dev_set());
    print(&ev);
}
