//! In-process fit timings (run with `cargo run --release -p comeback-models --example
//! fit_timing -- SUMMARY.csv [SPEND_SUMMARY.csv]`): median of 21 fits, data already loaded.
//! The CSV needs columns frequency|x, recency|t_x, T and optionally monetary_value|zbar.

use comeback_models::bgnbd::{BgNbd, MbgNbd};
use comeback_models::fit::{FitOptions, RfmData};
use comeback_models::gamma_gamma::{GammaGamma, SpendData};
use comeback_models::pareto_nbd::ParetoNbd;
use std::time::Instant;

fn read(path: &str) -> (Vec<f64>, Vec<f64>, Vec<f64>, Option<Vec<f64>>) {
    let text = std::fs::read_to_string(path).expect("summary file");
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let col = |names: &[&str]| header.iter().position(|h| names.contains(h));
    let (fi, ri, ti) = (
        col(&["frequency", "x"]).unwrap(),
        col(&["recency", "t_x"]).unwrap(),
        col(&["T"]).unwrap(),
    );
    let mi = col(&["monetary_value", "zbar"]);
    let (mut f, mut r, mut t, mut m) = (vec![], vec![], vec![], vec![]);
    for l in lines {
        let v: Vec<&str> = l.split(',').collect();
        f.push(v[fi].parse().unwrap());
        r.push(v[ri].parse().unwrap());
        t.push(v[ti].parse().unwrap());
        if let Some(i) = mi {
            m.push(v[i].parse().unwrap());
        }
    }
    (f, r, t, mi.map(|_| m))
}

fn median_ms(mut run: impl FnMut() -> f64) -> (f64, f64) {
    let mut times = Vec::new();
    let mut ll = 0.0;
    for _ in 0..21 {
        let t0 = Instant::now();
        ll = run();
        times.push(t0.elapsed().as_secs_f64() * 1e3);
    }
    times.sort_by(f64::total_cmp);
    (times[10], ll)
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let text = std::fs::read_to_string(&args[1]).expect("summary file");
    if text.lines().next().unwrap_or("").contains("periods") {
        // BG/BB: frequency,recency,periods,weights
        let rows: Vec<Vec<f64>> = text
            .lines()
            .skip(1)
            .map(|l| l.split(',').map(|v| v.parse().unwrap()).collect())
            .collect();
        let col = |i: usize| rows.iter().map(|r| r[i]).collect::<Vec<f64>>();
        let d = comeback_models::bgbb::data_from_columns(&col(0), &col(1), &col(2), Some(&col(3)))
            .unwrap();
        let (ms, ll) = median_ms(|| {
            comeback_models::bgbb::BgBb::fit(&d, &FitOptions::default())
                .unwrap()
                .report
                .log_likelihood
        });
        println!("  bgbb        {ms:8.3} ms  LL {ll:.4}");
        return;
    }
    let (f, r, t, m) = read(&args[1]);
    let opts = FitOptions::default();
    let t0 = Instant::now();
    let d = RfmData::from_columns(&f, &r, &t, None).unwrap();
    println!(
        "{}: {} customers, {} distinct rows (compression {:.3} ms)",
        args[1],
        f.len(),
        d.n_distinct(),
        t0.elapsed().as_secs_f64() * 1e3
    );
    let rep = BgNbd::fit(&d, &opts).unwrap().report;
    println!(
        "  (bgnbd: {} iterations, {} evaluations)",
        rep.iterations, rep.evaluations
    );
    let (ms, ll) = median_ms(|| BgNbd::fit(&d, &opts).unwrap().report.log_likelihood);
    println!("  bgnbd       {ms:8.3} ms  LL {ll:.4}");
    let (ms, ll) = median_ms(|| MbgNbd::fit(&d, &opts).unwrap().report.log_likelihood);
    println!("  mbgnbd      {ms:8.3} ms  LL {ll:.4}");
    let (ms, ll) = median_ms(|| ParetoNbd::fit(&d, &opts).unwrap().report.log_likelihood);
    println!("  pareto-nbd  {ms:8.3} ms  LL {ll:.4}");
    if let Some(m) = m {
        let s = SpendData::from_columns(&f, &m, None).unwrap();
        let (ms, ll) = median_ms(|| GammaGamma::fit(&s, &opts).unwrap().report.log_likelihood);
        println!(
            "  gamma-gamma {ms:8.3} ms  LL {ll:.4} ({} repeat customers)",
            s.total_weight()
        );
    }
}
