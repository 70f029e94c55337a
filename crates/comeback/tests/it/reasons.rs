//! `comeback reasons`: the Pareto table, quotes, classified CSV, JSON, HTML, evaluation and
//! errors with the lexicon layer (`--lexicon-only`, method v1, whose outputs are exact and
//! explainable word by word), method v2 (the default) and the hidden `--train`.

use super::{assert_fails, comeback, data_path};
use serde_json::Value;
use std::path::Path;

const ANSWERS: &str = "id,answer,lang\n\
1,\"Too expensive, and the staff were rude.\",en\n\
2,,\n\
3,Liian kallis.,fi\n\
4,\"El personal es muy amable\",\n\
5,Way too pricey,en\n\
6,I moved house,en\n\
7,\"Die Preiserhöhung war unverschämt\",de\n";

fn write(dir: &Path, name: &str, text: &str) -> String {
    std::fs::write(dir.join(name), text).unwrap();
    name.to_string()
}

fn stdout(o: &std::process::Output) -> String {
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8(o.stdout.clone()).unwrap()
}

#[test]
fn pareto_table_and_quotes() {
    let dir = tempfile::tempdir().unwrap();
    let f = write(dir.path(), "answers.csv", ANSWERS);
    let out = stdout(&comeback(
        dir.path(),
        &["reasons", &f, "--lang-col", "lang", "--lexicon-only"],
    ));
    assert!(
        out.starts_with(
            "answers.csv: 7 rows, 6 answers, 1 blank (non-responses), 1 without a reason\n"
        ),
        "{out}"
    );
    assert!(out.contains("languages: de 1, en 3, es 1, fi 1\n"), "{out}");
    // 4 price, 1 inadequate_response, 1 praise_staff: 6 mentions.
    assert!(
        out.contains("price                      4    66.7%       66.7%"),
        "{out}"
    );
    assert!(
        out.contains("praise_staff               1    16.7%      100.0%"),
        "{out}"
    );
    // The highest score first (two price words), then shorter answers.
    assert!(
        out.contains(
            "price:\n  line 8: \"Die Preiserhöhung war unverschämt\"\n  line 4: \"Liian kallis.\"\n"
        ),
        "{out}"
    );
}

#[test]
fn classified_csv_json_and_html() {
    let dir = tempfile::tempdir().unwrap();
    let f = write(dir.path(), "answers.csv", ANSWERS);
    let o = comeback(
        dir.path(),
        &[
            "reasons",
            &f,
            "--lang-col",
            "lang",
            "--out",
            "out.csv",
            "--html",
            "page.html",
            "--page-lang",
            "fi",
            "--json",
            "--lexicon-only",
        ],
    );
    let v: Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(v["answers"], 7);
    assert_eq!(v["non_responses"], 1);
    assert_eq!(v["no_reason"], 1);
    assert_eq!(v["languages"]["en"], 3);
    assert_eq!(v["reasons"][0]["reason"], "price");
    assert_eq!(v["reasons"][0]["count"], 4);
    assert_eq!(v["reasons"][0]["quotes"][0]["line"], 8);
    let csv = std::fs::read_to_string(dir.path().join("out.csv")).unwrap();
    assert_eq!(
        csv,
        "id,answer,lang,language,reasons\n\
         1,\"Too expensive, and the staff were rude.\",en,en,inadequate_response;price\n\
         2,,,,\n\
         3,Liian kallis.,fi,fi,price\n\
         4,El personal es muy amable,,es,praise_staff\n\
         5,Way too pricey,en,en,price\n\
         6,I moved house,en,en,none\n\
         7,Die Preiserhöhung war unverschämt,de,de,price\n"
    );
    let html = std::fs::read_to_string(dir.path().join("page.html")).unwrap();
    assert!(html.contains(r#"<html lang="fi">"#));
    assert!(html.contains("Hinta"));
    assert_eq!(
        html.matches(r#"class="mark" data-series="share""#).count(),
        3
    );
    assert!(html.contains("<q>Liian kallis.</q>"));
}

#[test]
fn one_language_for_all_and_extension_lexicon() {
    let dir = tempfile::tempdir().unwrap();
    let f = write(
        dir.path(),
        "fi.csv",
        "vastaus\nPysäköinti on hankalaa\nLiian kallis\n",
    );
    let lex = write(
        dir.path(),
        "extra.csv",
        "language,reason,term\nfi,parking,pysäköin*\n",
    );
    let o = comeback(
        dir.path(),
        &[
            "reasons",
            &f,
            "--text-col",
            "vastaus",
            "--lang",
            "fi",
            "--lexicon",
            &lex,
            "--json",
            "--lexicon-only",
        ],
    );
    let v: Value = serde_json::from_str(&stdout(&o)).unwrap();
    let reasons: Vec<&str> = v["reasons"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["reason"].as_str().unwrap())
        .collect();
    assert_eq!(reasons, ["parking", "price"]);
}

#[test]
fn evaluate_prints_accuracy_and_misclassified_rows() {
    let dir = tempfile::tempdir().unwrap();
    let f = write(
        dir.path(),
        "gold.csv",
        "id,language,text,labels,tags\n\
         a,en,Too expensive,price,\n\
         b,en,The staff were lovely,praise_staff,\n\
         c,en,The parking is a nightmare,quality,\n",
    );
    let out = stdout(&comeback(
        dir.path(),
        &["reasons", "--evaluate", &f, "--lexicon-only"],
    ));
    assert!(
        out.contains("en                  3      2     66.7%"),
        "{out}"
    );
    assert!(
        out.contains("c [en] \"The parking is a nightmare\"\n    expected quality, found none"),
        "{out}"
    );
    let o = comeback(
        dir.path(),
        &["reasons", "--evaluate", &f, "--json", "--lexicon-only"],
    );
    let v: Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(v["languages"][0]["exact"], 2);
    assert_eq!(v["misclassified"][0]["id"], "c");
    // The committed development set through the CLI: the floors of the library test.
    let dev: Vec<String> = ["en", "es", "pt", "fi", "de", "fr"]
        .iter()
        .map(|l| {
            data_path(&format!("voice/dev/{l}.csv"))
                .display()
                .to_string()
        })
        .collect();
    let mut args = vec!["reasons", "--json", "--lexicon-only", "--evaluate"];
    args.extend(dev.iter().map(String::as_str));
    let v: Value = serde_json::from_str(&stdout(&comeback(dir.path(), &args))).unwrap();
    assert_eq!(v["answers"], 390);
    assert!(v["overall"]["exact"].as_u64().unwrap() >= 372, "{v}");
}

#[test]
fn errors_name_file_line_and_column() {
    let dir = tempfile::tempdir().unwrap();
    let f = write(dir.path(), "a.csv", "id,answer,lang\n1,x,klingon\n");
    assert_fails(
        dir.path(),
        &["reasons", &f, "--lang-col", "lang"],
        "a.csv:2: column \"lang\": cannot parse \"klingon\" as a language (en, es, pt, fi, de or fr)",
    );
    assert_fails(
        dir.path(),
        &["reasons", &f, "--text-col", "txt"],
        "no column \"txt\"",
    );
    let lex = write(
        dir.path(),
        "lex.csv",
        "language,reason,term\nen,price,dear\nxx,a,b\n",
    );
    assert_fails(
        dir.path(),
        &["reasons", &f, "--lexicon", &lex],
        "lex.csv:3: column \"language\": unknown language \"xx\"",
    );
    let gold = write(
        dir.path(),
        "gold.csv",
        "id,language,text,labels\n1,en,x,Price\n",
    );
    assert_fails(
        dir.path(),
        &["reasons", "--evaluate", &gold],
        "gold.csv:2: column \"labels\": invalid label \"Price\"",
    );
    assert_fails(
        dir.path(),
        &["reasons", &f, "--out", &f],
        "is the input; choose another output file",
    );
    let o = comeback(dir.path(), &["reasons", &f, "--lang", "xx"]);
    assert_eq!(o.status.code(), Some(2));
    // Nothing was written by the failed runs.
    assert!(!dir.path().join("out.csv").exists());
}

#[test]
fn method_v2_is_the_default() {
    let dir = tempfile::tempdir().unwrap();
    let f = write(dir.path(), "answers.csv", ANSWERS);
    let o = comeback(
        dir.path(),
        &["reasons", &f, "--lang-col", "lang", "--out", "out.csv"],
    );
    stdout(&o);
    let csv = std::fs::read_to_string(dir.path().join("out.csv")).unwrap();
    let rows: Vec<&str> = csv.lines().collect();
    assert_eq!(rows.len(), 8, "{csv}");
    assert_eq!(rows[2], "2,,,,");
    assert!(rows[3].starts_with("3,Liian kallis.,fi,fi,"), "{csv}");
    // The evaluation with the learned layer names its features as evidence.
    let gold = write(
        dir.path(),
        "gold.csv",
        "id,language,text,labels,tags\na,en,The parking is a nightmare,quality,\n",
    );
    let v: Value = serde_json::from_str(&stdout(&comeback(
        dir.path(),
        &["reasons", "--evaluate", &gold, "--json"],
    )))
    .unwrap();
    assert_eq!(v["answers"], 1);
}

#[test]
fn train_writes_a_readable_model() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("sets")).unwrap();
    let mut set = String::from("id,language,text,labels,tags\n");
    let texts = [
        ("Too expensive", "price"),
        ("Way too pricey", "price"),
        ("Prices are far too high", "price"),
        ("The staff were rude", "inadequate_response"),
        ("Rude and unhelpful staff", "inadequate_response"),
        ("Nobody answered my emails", "inadequate_response"),
        ("I moved away", "none"),
        ("Lovely staff", "praise_staff"),
        ("The staff are lovely", "praise_staff"),
        ("Friendly and helpful staff", "praise_staff"),
    ];
    for (i, (t, l)) in texts.iter().enumerate() {
        set.push_str(&format!("t-en-{i:03},en,{t},{l},\n"));
    }
    std::fs::write(dir.path().join("sets/en.csv"), set).unwrap();
    let out = stdout(&comeback(
        dir.path(),
        &["reasons", "--train", "sets", "--out", "model"],
    ));
    assert!(out.starts_with("chosen: lambda "), "{out}");
    assert!(
        out.contains("5-fold cross-validation of these settings: "),
        "{out}"
    );
    let tsv = std::fs::read_to_string(dir.path().join("model/all.tsv")).unwrap();
    assert!(
        tsv.starts_with("# Comeback reason model (method v2"),
        "{tsv}"
    );
    assert!(tsv.contains("\n@language\tall\n"), "{tsv}");
    assert!(tsv.contains("\nprice\t_bias\t"), "{tsv}");
    assert!(tsv.contains("\nlabel\tfeature\tweight\n"), "{tsv}");
    assert_fails(
        dir.path(),
        &["reasons", "--train", "sets"],
        "--train needs --out DIR (the model directory)",
    );
}
