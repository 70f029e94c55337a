"""Reference values for comeback-survival, computed with lifelines and statsmodels.

Run from the repository root with a virtual environment that has lifelines and statsmodels:

    python3 -m venv .surv-venv && .surv-venv/bin/pip install lifelines statsmodels
    .surv-venv/bin/python data/reference/survival/reference.py

It reads the data sets copied here from lifelines (rossi, waltons, larynx, lung; see
README.md) and writes reference.json next to itself. Versions used are recorded in the file.

What comes from where:
- Kaplan–Meier S(t), at-risk counts, the log(−log) interval ("exponential Greenwood") and the
  median with its interval: lifelines KaplanMeierFitter (median interval = the first times the
  lower and upper pointwise bands reach 0.5, `median_survival_times(confidence_interval_)`).
- Greenwood standard error of S(t) and the plain-log interval: statsmodels SurvfuncRight
  (`surv_prob_se`); the plain-log interval is the formula S exp(±z se/S) applied here to
  that standard error (statsmodels 0.15 has no pointwise interval), so it checks the
  arithmetic, not an independent implementation.
- Log-rank: lifelines multivariate_logrank_test.
- Cox, Efron ties: coefficients and standard errors from statsmodels PHReg(ties="efron")
  fitted by Newton to tol 1e-12 (its score at the estimate is recorded, max_abs_score);
  hazard ratios, intervals, log-likelihood, likelihood-ratio test and concordance from
  lifelines CoxPHFitter with fit_options={'precision': 1e-10}, whose coefficients (kept as
  lifelines_coefficients) stop up to 2e-6 short of the maximum on lung. Breslow ties:
  statsmodels PHReg(ties="breslow") (lifelines has no Breslow option), concordance of the
  Breslow fit from lifelines.utils.concordance_index on the linear predictor.
- Proportional hazards: lifelines proportional_hazard_test per covariate with the "km",
  "identity" and "rank" transforms; the global statistic is computed here from lifelines'
  scaled Schoenfeld residuals with the formula of R survival < 3.0 (cox.zph):
  z = (x'r)' V (x'r) d / sum(x^2), x the centred transformed event times, r the unscaled
  Schoenfeld residuals, V the covariance of the coefficients, d the number of events.
"""

import json
import math
import os

import lifelines
import numpy as np
import pandas as pd
import statsmodels
from lifelines import CoxPHFitter, KaplanMeierFitter
from lifelines.statistics import multivariate_logrank_test, proportional_hazard_test
from lifelines.utils import concordance_index, median_survival_times
from statsmodels.duration.hazard_regression import PHReg
from statsmodels.duration.survfunc import SurvfuncRight

HERE = os.path.dirname(os.path.abspath(__file__))


def load(name):
    return pd.read_csv(os.path.join(HERE, name))


def clean(x):
    """JSON-safe: infinities and NaN become None."""
    if isinstance(x, (list, tuple, np.ndarray)):
        return [clean(v) for v in x]
    x = float(x)
    return None if (math.isnan(x) or math.isinf(x)) else x


def km_block(durations, events, label):
    kmf = KaplanMeierFitter().fit(durations, events)
    et = kmf.event_table
    times = list(et.index)
    surv = kmf.survival_function_.loc[times, "KM_estimate"].values
    ci = kmf.confidence_interval_.loc[times]
    med = kmf.median_survival_time_
    med_ci = median_survival_times(kmf.confidence_interval_)
    sm = SurvfuncRight(np.asarray(durations, float), np.asarray(events, float))
    # statsmodels reports only the event times; map them onto lifelines' table.
    se = {float(t): float(s) for t, s in zip(sm.surv_times, sm.surv_prob_se)}
    # statsmodels 0.15 has no pointwise interval: the plain-log interval is the textbook
    # formula S exp(±z se/S) (Klein & Moeschberger 2003, eq. 4.3.2 without the transform),
    # clipped to [0, 1], on statsmodels' Greenwood standard error.
    z = 1.959963984540054
    log_ci = {}
    for t, s, e in zip(sm.surv_times, sm.surv_prob, sm.surv_prob_se):
        if s > 0:
            log_ci[float(t)] = (s * math.exp(-z * e / s), min(1.0, s * math.exp(z * e / s)))
        else:
            log_ci[float(t)] = (float("nan"), float("nan"))
    return {
        "label": label,
        "n": int(len(durations)),
        "events": int(np.sum(events)),
        "times": clean(times),
        "at_risk": [int(v) for v in et["at_risk"].values],
        "observed": [int(v) for v in et["observed"].values],
        "censored": [int(v) for v in et["censored"].values],
        "survival": clean(surv),
        "loglog_low": clean(ci.iloc[:, 0].values),
        "loglog_high": clean(ci.iloc[:, 1].values),
        "event_times": clean(sm.surv_times),
        "greenwood_se": clean([se[float(t)] for t in sm.surv_times]),
        "log_low": clean([log_ci[float(t)][0] for t in sm.surv_times]),
        "log_high": clean([log_ci[float(t)][1] for t in sm.surv_times]),
        "median": clean(med),
        "median_ci_low": clean(med_ci.iloc[0, 0]),
        "median_ci_high": clean(med_ci.iloc[0, 1]),
    }


def logrank_block(durations, events, groups, label):
    r = multivariate_logrank_test(durations, groups, events)
    return {
        "label": label,
        "groups": sorted(str(g) for g in set(groups)),
        "statistic": float(r.test_statistic),
        "df": int(r.degrees_of_freedom),
        "p_value": float(r.p_value),
    }


def global_zph(cph, df, transform):
    durations, events = cph.durations, cph.event_observed
    times = proportional_hazard_test.__globals__["TimeTransformers"]().get(transform)(
        durations, events, cph.weights
    )[events.values]
    x = np.asarray(times, float)
    x = x - x.mean()
    resid = cph.compute_residuals(df, kind="schoenfeld").values
    d = events.sum()
    v = cph.variance_matrix_.values
    u = x @ resid
    z = float(u @ v @ u * d / (x @ x))
    return z


def cox_block(df, duration, event, covariates, label):
    data = df[[duration, event] + covariates].dropna()
    cph = CoxPHFitter().fit(data, duration, event, fit_options={"precision": 1e-10})
    lr = cph.log_likelihood_ratio_test()
    ci = cph.confidence_intervals_
    zph = {}
    for transform in ["km", "identity", "rank"]:
        t = proportional_hazard_test(cph, data, time_transform=transform)
        zph[transform] = {
            # The summary is indexed by covariate name (sorted), not in model order.
            "statistic": {c: float(t.summary.loc[c, "test_statistic"]) for c in covariates},
            "p_value": {c: float(t.summary.loc[c, "p"]) for c in covariates},
            "global_statistic": global_zph(cph, data, transform),
        }
    X = data[covariates].values.astype(float)
    T = data[duration].values.astype(float)
    E = data[event].values.astype(float)
    br = PHReg(T, X, status=E, ties="breslow").fit(method="newton", maxiter=200, tol=1e-12)
    br_null = PHReg(T, X, status=E, ties="breslow").loglike(np.zeros(len(covariates)))
    ef_sm = PHReg(T, X, status=E, ties="efron").fit(method="newton", maxiter=200, tol=1e-12)
    return {
        "label": label,
        "covariates": covariates,
        "n": int(len(data)),
        "events": int(data[event].sum()),
        "efron": {
            # Coefficients and standard errors from statsmodels' Newton fit: lifelines stops
            # up to 2e-6 short of the maximum on lung (its log-likelihood is 8e-11 lower);
            # lifelines' values are kept beside them.
            "coefficients": {c: float(b) for c, b in zip(covariates, ef_sm.params)},
            "std_errors": {c: float(s) for c, s in zip(covariates, ef_sm.bse)},
            "max_abs_score": float(np.max(np.abs(PHReg(T, X, status=E, ties="efron").score(ef_sm.params)))),
            "lifelines_coefficients": {c: float(cph.params_[c]) for c in covariates},
            "lifelines_std_errors": {c: float(cph.standard_errors_[c]) for c in covariates},
            "hazard_ratios": {c: float(cph.hazard_ratios_[c]) for c in covariates},
            "ci_low": {c: float(math.exp(ci.loc[c].iloc[0])) for c in covariates},
            "ci_high": {c: float(math.exp(ci.loc[c].iloc[1])) for c in covariates},
            "log_likelihood": float(cph.log_likelihood_),
            "lr_statistic": float(lr.test_statistic),
            "lr_df": int(lr.degrees_freedom),
            "lr_p_value": float(lr.p_value),
            "concordance": float(cph.concordance_index_),
            "statsmodels_log_likelihood": float(ef_sm.llf),
        },
        "breslow": {
            "coefficients": {c: float(b) for c, b in zip(covariates, br.params)},
            "std_errors": {c: float(s) for c, s in zip(covariates, br.bse)},
            "max_abs_score": float(np.max(np.abs(PHReg(T, X, status=E, ties="breslow").score(br.params)))),
            "log_likelihood": float(br.llf),
            "null_log_likelihood": float(br_null),
            "concordance": float(concordance_index(T, -(X @ br.params), E)),
        },
        "zph": zph,
    }


def main():
    rossi = load("rossi.csv")
    waltons = load("waltons_dataset.csv")
    larynx = load("larynx.csv")
    lung = load("lung.csv")
    larynx_stage = larynx.assign(
        stage=np.select(
            [larynx.Stage_II == 1, larynx.Stage_III == 1, larynx.Stage_IV == 1],
            ["II", "III", "IV"],
            "I",
        )
    )
    lung_ecog = lung.dropna(subset=["ph.ecog"])

    out = {
        "source": (
            "data/reference/survival/reference.py; lifelines %s, statsmodels %s, numpy %s, pandas %s"
            % (lifelines.__version__, statsmodels.__version__, np.__version__, pd.__version__)
        ),
        "km": [
            km_block(waltons["T"].values, waltons["E"].values, "waltons"),
            km_block(
                waltons[waltons.group == "miR-137"]["T"].values,
                waltons[waltons.group == "miR-137"]["E"].values,
                "waltons group=miR-137",
            ),
            km_block(
                waltons[waltons.group == "control"]["T"].values,
                waltons[waltons.group == "control"]["E"].values,
                "waltons group=control",
            ),
            km_block(lung["time"].values, lung["status"].values, "lung"),
            km_block(lung[lung.sex == 1]["time"].values, lung[lung.sex == 1]["status"].values, "lung sex=1"),
            km_block(lung[lung.sex == 2]["time"].values, lung[lung.sex == 2]["status"].values, "lung sex=2"),
            km_block(rossi["week"].values, rossi["arrest"].values, "rossi"),
        ],
        "logrank": [
            logrank_block(waltons["T"], waltons["E"], waltons["group"], "waltons by group"),
            logrank_block(lung["time"], lung["status"], lung["sex"].astype(int).astype(str), "lung by sex"),
            logrank_block(
                lung_ecog["time"],
                lung_ecog["status"],
                lung_ecog["ph.ecog"].astype(int).astype(str),
                "lung by ph.ecog",
            ),
            logrank_block(larynx_stage["time"], larynx_stage["death"], larynx_stage["stage"], "larynx by stage"),
        ],
        "cox": [
            cox_block(rossi, "week", "arrest", ["fin", "age", "race", "wexp", "mar", "paro", "prio"], "rossi"),
            cox_block(larynx, "time", "death", ["age", "Stage_II", "Stage_III", "Stage_IV"], "larynx"),
            cox_block(lung, "time", "status", ["age", "sex", "ph.ecog"], "lung"),
        ],
    }
    with open(os.path.join(HERE, "reference.json"), "w") as f:
        json.dump(out, f, indent=1, sort_keys=False)
        f.write("\n")


if __name__ == "__main__":
    main()
