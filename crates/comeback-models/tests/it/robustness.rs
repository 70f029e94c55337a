//! Robustness of the fits: seeded random starts reach the same optimum; simulated data are
//! recovered (true parameters inside the 95 % intervals in ≥ 90 % of seeded runs).

use crate::common::*;
use comeback_models::bgbb::{self, BgBb};
use comeback_models::bgnbd::{BgNbd, MbgNbd};
use comeback_models::fit::{FitOptions, Objective, Rfm, RfmData};
use comeback_models::gamma_gamma::{GammaGamma, SpendData};
use comeback_models::sbg::{Sbg, Survivors};
use rand::SeedableRng;
use rand::rngs::StdRng;
use rand_distr::{Beta, Distribution, Exp, Gamma, StandardUniform};
use std::time::Instant;

fn random_starts<F>(name: &str, centre: &[f64], fit: F)
where
    F: Fn(&FitOptions) -> (f64, bool, String),
{
    let (best, ok, msg) = fit(&FitOptions::default());
    assert!(ok, "{name}: {msg}");
    let mut rng = StdRng::seed_from_u64(20_251_130);
    let t0 = Instant::now();
    for run in 0..20 {
        let start: Vec<f64> = centre
            .iter()
            .map(|c| {
                let u: f64 = StandardUniform.sample(&mut rng);
                c + 4.0 * u - 2.0
            })
            .collect();
        let (ll, ok, msg) = fit(&FitOptions::default().initial_log_params(start.clone()));
        assert!(ok, "{name} run {run} from {start:?}: {msg}");
        assert_rel(ll, best, 1e-6, &format!("{name} run {run} from {start:?}"));
    }
    eprintln!("{name}: 20 random starts in {:?}", t0.elapsed());
}

#[test]
fn random_starts_reach_the_same_optimum() {
    let d = cdnow_data();
    let c = BgNbd::objective(&d).initial_log_params();
    random_starts("bgnbd", &c, |o| {
        let r = BgNbd::fit(&d, o).unwrap().report;
        (r.log_likelihood, r.converged, r.message)
    });
    let c = MbgNbd::objective(&d).initial_log_params();
    random_starts("mbgnbd", &c, |o| {
        let r = MbgNbd::fit(&d, o).unwrap().report;
        (r.log_likelihood, r.converged, r.message)
    });
    let (h, rows) = read_csv("cdnow_customers_summary_with_transactions.csv");
    let sd =
        SpendData::from_columns(&column(&h, &rows, "x"), &column(&h, &rows, "zbar"), None).unwrap();
    let c = GammaGamma::objective(&sd).initial_log_params();
    random_starts("gamma-gamma", &c, |o| {
        let r = GammaGamma::fit(&sd, o).unwrap().report;
        (r.log_likelihood, r.converged, r.message)
    });
    let (h, rows) = read_csv("donations.csv");
    let bd = bgbb::data_from_columns(
        &column(&h, &rows, "frequency"),
        &column(&h, &rows, "recency"),
        &column(&h, &rows, "periods"),
        Some(&column(&h, &rows, "weights")),
    )
    .unwrap();
    let c = BgBb::objective(&bd).initial_log_params();
    random_starts("bgbb", &c, |o| {
        let r = BgBb::fit(&bd, o).unwrap().report;
        (r.log_likelihood, r.converged, r.message)
    });
    let s = Survivors::new(&[1000.0, 631.0, 468.0, 382.0, 326.0, 289.0, 262.0, 241.0]).unwrap();
    let c = Sbg::objective(&s).initial_log_params();
    random_starts("sbg", &c, |o| {
        let r = Sbg::fit(&s, o).unwrap().report;
        (r.log_likelihood, r.converged, r.message)
    });
}

/// BG/NBD generative process (FHL 2005 §3), continuous time; T uniform on [20, 40].
fn simulate_bgnbd(rng: &mut StdRng, n: usize, r: f64, alpha: f64, a: f64, b: f64) -> Vec<Rfm> {
    let lam = Gamma::new(r, 1.0 / alpha).unwrap();
    let pd = Beta::new(a, b).unwrap();
    (0..n)
        .map(|_| {
            let u: f64 = StandardUniform.sample(rng);
            let t_end = 20.0 + 20.0 * u;
            let l: f64 = lam.sample(rng).max(1e-300);
            let p: f64 = pd.sample(rng);
            let e = Exp::new(l).unwrap();
            let (mut t, mut x, mut tx) = (0.0, 0.0, 0.0);
            loop {
                t += e.sample(rng);
                if t > t_end {
                    break;
                }
                x += 1.0;
                tx = t;
                if {
                    let u: f64 = StandardUniform.sample(&mut *rng);
                    u
                } < p
                {
                    break;
                }
            }
            Rfm::new(x, tx, t_end).unwrap()
        })
        .collect()
}

#[test]
fn bgnbd_parameter_recovery() {
    let truth = [0.25, 4.0, 0.8, 2.5];
    let runs = 200;
    let mut inside = [0usize; 4];
    let mut rng = StdRng::seed_from_u64(7);
    for _ in 0..runs {
        let cs = simulate_bgnbd(&mut rng, 3000, truth[0], truth[1], truth[2], truth[3]);
        let d = RfmData::new(&cs, None).unwrap();
        let rep = BgNbd::fit(&d, &FitOptions::default()).unwrap().report;
        assert!(rep.converged, "{}", rep.message);
        let (lo, hi) = (rep.ci_low.unwrap(), rep.ci_high.unwrap());
        for i in 0..4 {
            if lo[i] <= truth[i] && truth[i] <= hi[i] {
                inside[i] += 1;
            }
        }
    }
    eprintln!("bgnbd recovery: {inside:?} of {runs} inside the 95% intervals");
    for (i, &k) in inside.iter().enumerate() {
        assert!(k * 10 >= runs * 9, "parameter {i}: {k} of {runs}");
    }
}

/// Gamma-Gamma generative process (note 025): ν ~ Gamma(q, γ), z ~ Gamma(p, ν).
#[test]
fn gamma_gamma_parameter_recovery() {
    let truth = [6.0, 3.8, 15.0];
    let runs = 200;
    let mut inside = [0usize; 3];
    let mut rng = StdRng::seed_from_u64(11);
    for _ in 0..runs {
        let nu_d = Gamma::new(truth[1], 1.0 / truth[2]).unwrap();
        let (mut xs, mut ms) = (Vec::new(), Vec::new());
        for _ in 0..1000 {
            let x = 1
                + ({
                    let u: f64 = StandardUniform.sample(&mut rng);
                    u
                } * 6.0) as usize;
            let nu: f64 = nu_d.sample(&mut rng);
            let z = Gamma::new(truth[0], 1.0 / nu).unwrap();
            let m = (0..x).map(|_| z.sample(&mut rng)).sum::<f64>() / x as f64;
            xs.push(x as f64);
            ms.push(m);
        }
        let d = SpendData::from_columns(&xs, &ms, None).unwrap();
        let rep = GammaGamma::fit(&d, &FitOptions::default()).unwrap().report;
        assert!(rep.converged, "{}", rep.message);
        let (lo, hi) = (rep.ci_low.unwrap(), rep.ci_high.unwrap());
        for i in 0..3 {
            if lo[i] <= truth[i] && truth[i] <= hi[i] {
                inside[i] += 1;
            }
        }
    }
    eprintln!("gamma-gamma recovery: {inside:?} of {runs} inside the 95% intervals");
    for (i, &k) in inside.iter().enumerate() {
        assert!(k * 10 >= runs * 9, "parameter {i}: {k} of {runs}");
    }
}
