//! The open-answer classifier: handcrafted cases per language for the lexicon layer (method
//! v1) and the learned layer (method v2), the extension CSV, metrics against
//! `data/voice/dev/metrics_reference.py`, invariants, the committed models against
//! re-training and cross-validation, the development set's accuracy floors and the held-out
//! evaluation sets.

use comeback_voice::classify::*;
use proptest::prelude::*;
use std::collections::BTreeSet;
use std::sync::LazyLock;

/// Method v2, loaded once.
static V2: LazyLock<Classifier> = LazyLock::new(Classifier::builtin);

fn labelled_dir(dir: &str) -> Vec<LabelledAnswer> {
    let dir = format!("{}/../../data/voice/{dir}", env!("CARGO_MANIFEST_DIR"));
    let mut out = Vec::new();
    for l in Language::ALL {
        let path = format!("{dir}/{l}.csv");
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
        let set = parse_labelled_csv(&text).unwrap_or_else(|e| panic!("{}", e.located(&path)));
        assert!(
            set.iter().all(|a| a.language == l),
            "{path}: other languages"
        );
        out.extend(set);
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
    println!("language detected: {}", ev.language_detected);
    for m in &ev.misclassified {
        println!(
            "{} {:?} gold={:?} pred={:?} {:?}",
            m.id, m.text, m.gold, m.predicted, m.evidence
        );
    }
}

/// Checks exact-set accuracy floors per language (answers classified exactly right).
fn assert_floors(ev: &Evaluation, floors: &[(&str, usize, usize)]) {
    for &(lang, answers, exact) in floors {
        let g = ev
            .per_language
            .iter()
            .find(|g| g.group == lang)
            .unwrap_or_else(|| panic!("no {lang} answers"));
        assert_eq!(g.answers, answers, "{lang}: answers");
        assert!(
            g.exact >= exact,
            "{lang}: {} of {} exactly right, floor {exact}",
            g.exact,
            g.answers
        );
    }
}

fn labels(c: &Classifier, text: &str, lang: &str) -> Vec<String> {
    let lang: Language = lang.parse().unwrap();
    c.classify(text, Some(lang))
        .labels()
        .into_iter()
        .map(String::from)
        .collect()
}

/// Handcrafted cases (not in the development set): (language, text, expected labels).
const CASES: &[(&str, &str, &[&str])] = &[
    // English: plain, negation flips and cancels, misspelling, two reasons, none.
    ("en", "Honestly, way too pricey.", &["price"]),
    (
        "en",
        "The waiter was not friendly.",
        &["inadequate_response"],
    ),
    ("en", "The price is not an issue for me.", &[]),
    ("en", "Never on time.", &["broken_promise"]),
    (
        "en",
        "The staf were extremly rude.",
        &["inadequate_response"],
    ),
    (
        "en",
        "Expensive and the bread was stale.",
        &["price", "quality"],
    ),
    ("en", "We are moving to another city.", &[]),
    ("en", "I was never unhappy here.", &[]),
    // Spanish
    ("es", "Los precios son carísimos.", &["price"]),
    (
        "es",
        "El camarero no fue nada amable.",
        &["inadequate_response"],
    ),
    (
        "es",
        "Me cambié a la competencia porque allí es más barato.",
        &["competitor_offer"],
    ),
    (
        "es",
        "La comida llegó fría y el personal fue grosero.",
        &["inadequate_response", "quality"],
    ),
    // Portuguese
    ("pt", "Achei caro demais.", &["price"]),
    (
        "pt",
        "A minha reclamação não foi resolvida.",
        &["unresolved_complaint"],
    ),
    (
        "pt",
        "Atendimento muito simpático e entrega rápida.",
        &["praise_speed", "praise_staff"],
    ),
    // Finnish: inflected forms and the negation verb.
    ("fi", "Hinnat ovat liian kalliita.", &["price"]),
    (
        "fi",
        "Myyjä ei ollut ystävällinen.",
        &["inadequate_response"],
    ),
    (
        "fi",
        "Palautusta ei ole vieläkään käsitelty, vaikka valitin.",
        &["unresolved_complaint"],
    ),
    // German: compounds and post-verbal nicht.
    ("de", "Die Preiserhöhungen sind unverschämt.", &["price"]),
    (
        "de",
        "Der Kundenservice antwortet nicht.",
        &["inadequate_response"],
    ),
    ("de", "Das Personal war sehr freundlch.", &["praise_staff"]),
    // French: ne … pas.
    (
        "fr",
        "Le personnel n'est pas aimable.",
        &["inadequate_response"],
    ),
    ("fr", "Le prix n'est pas un problème.", &[]),
    (
        "fr",
        "Trop cher et livraison en retard.",
        &["broken_promise", "price"],
    ),
];

#[test]
fn handcrafted_cases() {
    let c = Classifier::lexicon_only();
    let mut failures = Vec::new();
    for &(lang, text, expected) in CASES {
        let got = labels(&c, text, lang);
        if got != expected {
            failures.push(format!(
                "{lang} {text:?}: expected {expected:?}, got {got:?}"
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn evidence_names_the_words() {
    let c = Classifier::lexicon_only();
    let r = c.classify("The staff were not friendly at all.", Some(Language::En));
    assert_eq!(r.language, Some(Language::En));
    assert_eq!(r.reasons.len(), 1);
    assert_eq!(r.reasons[0].reason, "inadequate_response");
    assert_eq!(r.reasons[0].evidence, ["not friendly"]);
    assert_eq!(r.reasons[0].score, 1.0);
    let r = c.classify("Too expensve.", Some(Language::En));
    assert_eq!(r.reasons[0].evidence, ["~expensve"]);
    let r = c.classify("Die Lieferverzögerung war ärgerlich.", Some(Language::De));
    assert_eq!(r.labels(), ["general_dissatisfaction"]);
    let r = c.classify("Die Preiserhöhung kam überraschend.", Some(Language::De));
    assert_eq!(r.labels(), ["price"]);
    assert_eq!(r.reasons[0].evidence, ["preiserhöhung"]);
}

#[test]
fn language_is_detected() {
    let c = Classifier::builtin();
    let cases = [
        ("The staff were rude and the food was cold.", Language::En),
        (
            "El personal fue muy grosero y la comida estaba fría.",
            Language::Es,
        ),
        (
            "O atendimento foi péssimo e a comida chegou fria.",
            Language::Pt,
        ),
        ("Henkilökunta oli töykeää ja ruoka kylmää.", Language::Fi),
        (
            "Das Personal war unfreundlich und das Essen kalt.",
            Language::De,
        ),
        (
            "Le personnel était désagréable et le plat froid.",
            Language::Fr,
        ),
        ("Liian kallis.", Language::Fi),
        ("Viel zu teuer.", Language::De),
    ];
    for (text, lang) in cases {
        assert_eq!(c.detect_language(text), Some(lang), "{text}");
        assert_eq!(c.classify(text, None).language, Some(lang), "{text}");
    }
    assert_eq!(detect_language("Das Essen war kalt."), Some(Language::De));
    assert_eq!(c.detect_language("   "), None);
    assert_eq!(c.detect_language("12345"), None);
    assert_eq!(c.classify("", None), Classification::default());
}

#[test]
fn language_names_parse() {
    for (s, l) in [
        ("fi", Language::Fi),
        ("Suomi", Language::Fi),
        ("finnish", Language::Fi),
        ("Español", Language::Es),
        ("PT", Language::Pt),
        ("Deutsch", Language::De),
        ("français", Language::Fr),
        (" en ", Language::En),
    ] {
        assert_eq!(s.parse::<Language>(), Ok(l), "{s}");
    }
    let e = "klingon".parse::<Language>().unwrap_err();
    assert_eq!(
        e.to_string(),
        "unknown language \"klingon\" (expected en, es, pt, fi, de or fr)"
    );
    for l in Language::ALL {
        assert_eq!(l.as_str().parse::<Language>(), Ok(l));
    }
}

#[test]
fn extension_adds_terms_and_reasons() {
    let base = Classifier::lexicon_only();
    assert_eq!(
        labels(&base, "The parking is a nightmare.", "en"),
        Vec::<String>::new()
    );
    let csv = "language,reason,term,weight\n\
               en,parking,parking,1\n\
               # a comment line\n\
               fi,parking,pysäköin*,1\n\
               en,price,pricey as hell,2\n";
    let mut c = Classifier::lexicon_only();
    c.extend_from_csv(csv).unwrap();
    assert_eq!(labels(&c, "The parking is a nightmare.", "en"), ["parking"]);
    // Method v2: a new reason comes from the lexicon layer next to the model's reasons.
    let v2 = Classifier::with_extension(csv).unwrap();
    assert!(labels(&v2, "The parking is a nightmare.", "en").contains(&"parking".to_string()));
    assert!(labels(&v2, "Pysäköinti on hankalaa.", "fi").contains(&"parking".to_string()));
    assert_eq!(labels(&c, "Pysäköinti on hankalaa.", "fi"), ["parking"]);
    assert!(c.reasons().any(|r| r == "parking"));
    assert_eq!(c.entries(Language::En), base.entries(Language::En) + 2);
    // Negated meaning of a business term.
    let mut c = Classifier::lexicon_only();
    let n = c
        .extend_from_csv("language,reason,term,weight,negated\nde,parken,parkplatz,1,parken\n")
        .unwrap();
    assert_eq!(n, 1);
    assert_eq!(labels(&c, "Es gibt keinen Parkplatz.", "de"), ["parken"]);
}

#[test]
fn extension_errors_name_line_column_and_value() {
    let mut c = Classifier::builtin();
    let before = c.entries(Language::En);
    let cases = [
        (
            "language,reason,term\nen,price,dear\nxx,price,cher\n",
            "f.csv:3: column \"language\": unknown language \"xx\" (expected en, es, pt, fi, de or fr)",
        ),
        (
            "language,reason,term\nen,Price!,dear\n",
            "f.csv:2: column \"reason\": invalid reason \"Price!\" (lowercase letters, digits and _, or - for none)",
        ),
        (
            "language,reason,term,weight\nen,price,dear,-1\n",
            "f.csv:2: column \"weight\": invalid weight \"-1\" (a number in (0, 100])",
        ),
        (
            "language,reason,term\nen,price,one two three four\n",
            "f.csv:2: column \"term\": term \"one two three four\" has 4 words (at most 3)",
        ),
        (
            "language,reason,term\nen,price,ab*\n",
            "f.csv:2: column \"term\": invalid prefix \"ab*\" (at least 3 letters before the *)",
        ),
        (
            "language,reason\nen,price\n",
            "f.csv: missing column \"term\" in the header (found: language,reason)",
        ),
        (
            "language,reason,term\nen,-,dear\n",
            "f.csv:2: column \"negated\": term \"dear\" has neither a reason nor a negated reason",
        ),
    ];
    for (csv, msg) in cases {
        let e = c.extend_from_csv(csv).unwrap_err();
        assert_eq!(e.located("f.csv"), msg);
    }
    // Nothing of a failed extension is kept (the first row of case 1 was valid).
    assert_eq!(c.entries(Language::En), before);
}

#[test]
fn labelled_csv_errors() {
    let ok = "id,language,text,labels,tags\n1,en,\"Too dear, sorry\",price;quality,negation;two_reasons\n2,fi,Kiitos,none,\n";
    let set = parse_labelled_csv(ok).unwrap();
    assert_eq!(set.len(), 2);
    assert_eq!(set[0].text, "Too dear, sorry");
    assert_eq!(
        set[0].labels,
        BTreeSet::from(["price".to_string(), "quality".to_string()])
    );
    assert!(set[1].labels.is_empty() && set[1].tags.is_empty());
    let e = parse_labelled_csv("id,language,text,labels,tags\n1,en,x,price,typo\n").unwrap_err();
    assert_eq!(
        e.to_string(),
        "line 2: column \"tags\": unknown tag \"typo\" (negation, misspelling or two_reasons)"
    );
    let e = parse_labelled_csv("id,language,text,labels\n1,en,x,price;;\n").unwrap_err();
    assert_eq!(
        e.to_string(),
        "line 2: column \"labels\": invalid label \"\" in \"price;;\" (labels separated by ;, or none)"
    );
    let e = parse_labelled_csv("id,text,labels\n").unwrap_err();
    assert!(e.to_string().contains("missing column \"language\""), "{e}");
}

fn classification(labels: &[&str]) -> Classification {
    Classification {
        language: Some(Language::En),
        reasons: labels
            .iter()
            .map(|r| ReasonMatch {
                reason: r.to_string(),
                score: 1.0,
                evidence: vec![],
            })
            .collect(),
    }
}

/// The example of `data/voice/dev/metrics_reference.py` and its printed values.
#[test]
fn metrics_match_reference() {
    let rows: [(&str, &[&str], &[&str]); 7] = [
        ("en", &["price"], &["price"]),
        ("en", &["price", "quality"], &["price"]),
        ("en", &[], &["general_dissatisfaction"]),
        ("fi", &["praise_staff"], &["praise_staff"]),
        (
            "fi",
            &["inadequate_response"],
            &["inadequate_response", "quality"],
        ),
        ("fi", &[], &[]),
        ("fi", &["broken_promise"], &["unresolved_complaint"]),
    ];
    let labelled: Vec<LabelledAnswer> = rows
        .iter()
        .enumerate()
        .map(|(i, (l, gold, _))| LabelledAnswer {
            id: i.to_string(),
            language: l.parse().unwrap(),
            text: String::new(),
            labels: gold.iter().map(|s| s.to_string()).collect(),
            tags: BTreeSet::new(),
        })
        .collect();
    let predicted: Vec<Classification> = rows.iter().map(|(_, _, p)| classification(p)).collect();
    let ev = Evaluation::score(&labelled, &predicted);
    let tol = 1e-12;
    let en = &ev.per_language[0];
    assert_eq!((en.group.as_str(), en.answers, en.exact), ("en", 3, 1));
    assert!((en.accuracy() - 0.3333333333333333).abs() < tol);
    assert_eq!((en.micro.tp, en.micro.fp, en.micro.fn_), (2, 1, 1));
    assert!((en.micro.f1() - 0.6666666666666666).abs() < tol);
    let fi = &ev.per_language[1];
    assert_eq!((fi.group.as_str(), fi.answers, fi.exact), ("fi", 4, 2));
    assert!((fi.micro.precision() - 0.5).abs() < tol);
    assert!((fi.micro.recall() - 0.6666666666666666).abs() < tol);
    assert!((fi.micro.f1() - 0.5714285714285714).abs() < tol);
    let all = ev.overall.as_ref().unwrap();
    assert_eq!((all.micro.tp, all.micro.fp, all.micro.fn_), (4, 3, 2));
    assert!((all.micro.precision() - 0.5714285714285714).abs() < tol);
    assert!((all.micro.f1() - 0.6153846153846154).abs() < tol);
    let per_reason: Vec<(&str, usize, usize, usize)> = ev
        .per_reason
        .iter()
        .map(|(r, p)| (r.as_str(), p.tp, p.fp, p.fn_))
        .collect();
    assert_eq!(
        per_reason,
        [
            ("broken_promise", 0, 0, 1),
            ("general_dissatisfaction", 0, 1, 0),
            ("inadequate_response", 1, 0, 0),
            ("praise_staff", 1, 0, 0),
            ("price", 2, 0, 0),
            ("quality", 0, 1, 1),
            ("unresolved_complaint", 0, 1, 0),
        ]
    );
    assert_eq!(ev.misclassified.len(), 4);
    let pareto = reason_pareto(&predicted);
    let expect = [
        ("price", 2, 0.2857142857142857, 0.2857142857142857),
        (
            "general_dissatisfaction",
            1,
            0.14285714285714285,
            0.42857142857142855,
        ),
        (
            "inadequate_response",
            1,
            0.14285714285714285,
            0.5714285714285714,
        ),
        ("praise_staff", 1, 0.14285714285714285, 0.7142857142857143),
        ("quality", 1, 0.14285714285714285, 0.8571428571428571),
        ("unresolved_complaint", 1, 0.14285714285714285, 1.0),
    ];
    assert_eq!(pareto.len(), expect.len());
    for (row, (r, n, share, cum)) in pareto.iter().zip(expect) {
        assert_eq!((row.reason.as_str(), row.count), (r, n));
        assert!((row.share - share).abs() < tol && (row.cumulative_share - cum).abs() < tol);
    }
}

#[test]
fn prf_edge_cases() {
    let nothing = Prf::default();
    assert_eq!(
        (nothing.precision(), nothing.recall(), nothing.f1()),
        (1.0, 1.0, 1.0)
    );
    let missed = Prf {
        tp: 0,
        fp: 0,
        fn_: 2,
    };
    assert_eq!(
        (missed.precision(), missed.recall(), missed.f1()),
        (0.0, 0.0, 0.0)
    );
    assert!(reason_pareto(&[Classification::default()]).is_empty());
}

#[test]
fn quotes_prefer_high_scores_then_short_answers() {
    let c = Classifier::lexicon_only();
    let texts = [
        "Too expensive.",
        "Expensive, overpriced, a rip off.",
        "Way too expensive for such a small gym, honestly I expected more for my money.",
        "too expensive.",
        "Staff were rude.",
        "",
    ];
    let cls: Vec<Classification> = texts
        .iter()
        .map(|t| c.classify(t, Some(Language::En)))
        .collect();
    let quotes = representative_quotes(&texts, &cls, 3);
    assert_eq!(quotes[0].0, "price");
    let idx: Vec<usize> = quotes[0].1.iter().map(|q| q.index).collect();
    // The highest score first; the duplicate "too expensive." is skipped.
    assert_eq!(idx, [1, 0, 2]);
    assert_eq!(quotes[0].1[0].score, 3.0);
    assert_eq!(quotes[1].0, "inadequate_response");
    assert_eq!(quotes[1].1.len(), 1);
    assert!(is_blank(texts[5]) && is_blank(" - ") && !is_blank("ok"));
}

fn any_language() -> impl Strategy<Value = Option<Language>> {
    prop_oneof![Just(None), (0usize..6).prop_map(|i| Some(Language::ALL[i]))]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]
    /// Any text: no panic, labels sorted and distinct, scores at least the threshold,
    /// general dissatisfaction never next to a specific complaint.
    #[test]
    fn classification_invariants(text in "\\PC{0,80}", lang in any_language()) {
        let c = Classifier::lexicon_only();
        let r = c.classify(&text, lang);
        let l = r.labels();
        prop_assert!(l.windows(2).all(|w| w[0] < w[1]));
        prop_assert!(r.reasons.iter().all(|m| m.score >= THRESHOLD && !m.evidence.is_empty()));
        if l.contains(&GENERAL_DISSATISFACTION) {
            prop_assert!(l.iter().all(|r| *r == GENERAL_DISSATISFACTION || r.starts_with("praise_")));
        }
        if is_blank(&text) {
            prop_assert!(r.reasons.is_empty() && r.language.is_none());
        }
    }

    /// Words from the lexicons, shuffled with cues and punctuation: same invariants.
    #[test]
    fn lexicon_soup(words in proptest::collection::vec(prop_oneof![
        Just("not"), Just("never"), Just("ei"), Just("nicht"), Just("pas"), Just("não"), Just("no"),
        Just("expensive"), Just("kallis"), Just("teuer"), Just("cher"), Just("caro"), Just("friendly"),
        Just("problem"), Just("ongelma"), Just(","), Just("but"), Just("mutta"), Just("kaputt"),
        Just("on time"), Just("resolved"), Just("Preiserhöhung"), Just("ystävällinen"),
    ], 0..12), lang in any_language()) {
        let text = words.join(" ");
        let c = Classifier::builtin();
        let r = c.classify(&text, lang);
        prop_assert!(r.labels().windows(2).all(|w| w[0] < w[1]));
        let pareto = reason_pareto(&[r.clone(), r]);
        if let Some(last) = pareto.last() {
            prop_assert!((last.cumulative_share - 1.0).abs() < 1e-12);
        }
        prop_assert!(pareto.windows(2).all(|w| w[0].count >= w[1].count
            && w[0].cumulative_share < w[1].cumulative_share));
    }
}

/// The development set (`data/voice/dev/`, written by hand and used for tuning): at least
/// 60 answers per language, at least 30 % hard cases, and the measured accuracy as floors.
#[test]
fn dev_accuracy() {
    let dev = labelled_dir("dev");
    for l in Language::ALL {
        let set: Vec<&LabelledAnswer> = dev.iter().filter(|a| a.language == l).collect();
        let hard = set.iter().filter(|a| !a.tags.is_empty()).count();
        assert!(set.len() >= 60, "{l}: {} answers", set.len());
        assert!(hard * 10 >= set.len() * 3, "{l}: {hard} hard cases");
    }
    let c = Classifier::lexicon_only();
    let ev = c.evaluate(&dev);
    print(&ev);
    assert_floors(
        &ev,
        &[
            ("en", 64, 60),
            ("es", 65, 62),
            ("pt", 65, 61),
            ("fi", 66, 64),
            ("de", 65, 61),
            ("fr", 65, 64),
        ],
    );
}

/// The held-out evaluation set (`data/voice/eval/`, written by a colleague and committed
/// before any lexicon existed; never used for tuning, but seen by the developer of method
/// v1 when measuring it). Floors: method v1 as measured once its lexicons were final (commit
/// 1a4f9f3); method v2 as measured once, after its final commit (41a26c6), so a regression
/// fails.
#[test]
fn eval_accuracy() {
    let eval = labelled_dir("eval");
    let ev = Classifier::lexicon_only().evaluate(&eval);
    print(&ev);
    assert_floors(
        &ev,
        &[
            ("en", 70, 44),
            ("es", 70, 43),
            ("pt", 70, 51),
            ("fi", 70, 44),
            ("de", 70, 41),
            ("fr", 70, 44),
        ],
    );
    let ev = V2.evaluate(&eval);
    print(&ev);
    assert_floors(
        &ev,
        &[
            ("en", 70, 51),
            ("es", 70, 52),
            ("pt", 70, 55),
            ("fi", 70, 54),
            ("de", 70, 50),
            ("fr", 70, 44),
        ],
    );
}

/// The second held-out set (`data/voice/eval2/`, 80 answers per language, committed before
/// method v2 was written and opened only after its final commit 41a26c6). Floors: the
/// counts measured then, once, for methods v1 and v2.
#[test]
fn eval2_accuracy() {
    let eval = labelled_dir("eval2");
    let ev = Classifier::lexicon_only().evaluate(&eval);
    print(&ev);
    assert_floors(
        &ev,
        &[
            ("en", 80, 38),
            ("es", 80, 39),
            ("pt", 80, 44),
            ("fi", 80, 50),
            ("de", 80, 40),
            ("fr", 80, 45),
        ],
    );
    let ev = V2.evaluate(&eval);
    print(&ev);
    assert_floors(
        &ev,
        &[
            ("en", 80, 47),
            ("es", 80, 53),
            ("pt", 80, 56),
            ("fi", 80, 56),
            ("de", 80, 47),
            ("fr", 80, 54),
        ],
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]
    /// Method v2 on any text: no panic, the language of the lexicon layer, labels sorted and
    /// distinct, probabilities in [0, 1], general dissatisfaction never next to a specific
    /// complaint, blank text without reasons.
    #[test]
    fn v2_invariants(text in "\\PC{0,80}", lang in any_language()) {
        let r = V2.classify(&text, lang);
        prop_assert_eq!(r.language, V2.classify_lexicon(&text, lang).language);
        let l = r.labels();
        prop_assert!(l.windows(2).all(|w| w[0] < w[1]));
        prop_assert!(r.reasons.iter().all(|m| (0.0..=1.0).contains(&m.score)));
        if l.contains(&GENERAL_DISSATISFACTION) {
            prop_assert!(l.iter().all(|r| *r == GENERAL_DISSATISFACTION || r.starts_with("praise_")));
        }
        if is_blank(&text) {
            prop_assert!(r.reasons.is_empty() && r.language.is_none());
        }
    }
}

/// The labelled sets of `data/voice/{dir}` as `comeback reasons --train` reads them: every
/// `*.csv` file, sorted by name.
fn sorted_sets(dir: &str) -> Vec<LabelledAnswer> {
    let dir = format!("{}/../../data/voice/{dir}", env!("CARGO_MANIFEST_DIR"));
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "csv"))
        .collect();
    files.sort();
    files
        .iter()
        .flat_map(|p| parse_labelled_csv(&std::fs::read_to_string(p).unwrap()).unwrap())
        .collect()
}

/// The committed model (`data/voice/model/all.tsv`) is what `comeback reasons --train
/// data/voice/dev data/voice/train --out data/voice/model` writes: re-training with the
/// options in the file gives the very same weights, and the grouped 5-fold
/// cross-validation reproduces the count of exactly right answers in the file's header.
#[test]
fn committed_model_is_reproducible() {
    let mut all = sorted_sets("dev");
    all.extend(sorted_sets("train"));
    assert_eq!(all.len(), 2190);
    let lexicon = Classifier::lexicon_only();
    let path = format!(
        "{}/../../data/voice/model/all.tsv",
        env!("CARGO_MANIFEST_DIR")
    );
    let committed = std::fs::read_to_string(&path).unwrap();
    let m = V2.model(Language::Fi).expect("a built-in model");
    let retrained = ReasonModel::train(&lexicon, None, &DEFAULT_REASONS, &all, &m.options).unwrap();
    let body = |s: &str| {
        s.lines()
            .filter(|l| !l.starts_with('#'))
            .collect::<Vec<_>>()
            .join("\n")
    };
    assert!(
        body(&retrained.to_tsv("")) == body(&committed),
        "{path}: weights differ"
    );
    let probs = cross_validate(&lexicon, None, &DEFAULT_REASONS, &all, &m.options, 5).unwrap();
    assert_eq!(probs.len(), all.len());
    let exact = all
        .iter()
        .zip(&probs)
        .filter(|(a, p)| {
            decide(&DEFAULT_REASONS, p, m.options.threshold, m.options.floor) == a.labels
        })
        .count();
    let key = "cross-validation of these settings: ";
    let at = committed
        .find(key)
        .expect("header with the cross-validation")
        + key.len();
    let header: usize = committed[at..]
        .split_whitespace()
        .next()
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(exact, header, "{path}");
}

/// The built-in model parses, is multilingual, knows the eleven default reasons, serves
/// every language and stays small (under 2.5 MB).
#[test]
fn builtin_model_loads() {
    let m = V2.model(Language::En).expect("a built-in model");
    assert_eq!(m.language, None);
    assert_eq!(m.labels, DEFAULT_REASONS);
    assert!(m.weight_count() > 1000, "{}", m.weight_count());
    for lang in Language::ALL {
        assert!(std::ptr::eq(V2.model(lang).unwrap(), m), "{lang}");
    }
    let path = format!(
        "{}/../../data/voice/model/all.tsv",
        env!("CARGO_MANIFEST_DIR")
    );
    let bytes = std::fs::metadata(path).unwrap().len();
    assert!(bytes < 2_500_000, "{bytes} bytes");
    assert!(Classifier::lexicon_only().model(Language::En).is_none());
}
