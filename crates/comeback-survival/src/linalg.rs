//! Dense symmetric positive-definite algebra for the small p × p matrices of the Cox
//! model (p = number of covariates): Cholesky factorisation, solve and inverse.

// Index loops read as the matrix formulas they implement.
#![allow(clippy::needless_range_loop)]

/// A p × p matrix, row-major.
pub(crate) type Mat = Vec<Vec<f64>>;

/// Lower Cholesky factor L with A = L Lᵀ, or `Err(k)` when pivot k is not positive
/// (relative to the diagonal), i.e. column k depends on the earlier ones.
pub(crate) fn cholesky(a: &Mat) -> Result<Mat, usize> {
    let p = a.len();
    let mut l = vec![vec![0.0; p]; p];
    for j in 0..p {
        let mut d = a[j][j];
        for k in 0..j {
            d -= l[j][k] * l[j][k];
        }
        // A pivot that lost almost all of the diagonal's magnitude: singular.
        if !d.is_finite() || d <= 1e-10 * a[j][j].abs().max(f64::MIN_POSITIVE) {
            return Err(j);
        }
        let d = d.sqrt();
        l[j][j] = d;
        for i in j + 1..p {
            let mut s = a[i][j];
            for k in 0..j {
                s -= l[i][k] * l[j][k];
            }
            l[i][j] = s / d;
        }
    }
    Ok(l)
}

/// Solves L Lᵀ x = b.
pub(crate) fn chol_solve(l: &Mat, b: &[f64]) -> Vec<f64> {
    let p = l.len();
    let mut y = vec![0.0; p];
    for i in 0..p {
        let mut s = b[i];
        for k in 0..i {
            s -= l[i][k] * y[k];
        }
        y[i] = s / l[i][i];
    }
    let mut x = vec![0.0; p];
    for i in (0..p).rev() {
        let mut s = y[i];
        for k in i + 1..p {
            s -= l[k][i] * x[k];
        }
        x[i] = s / l[i][i];
    }
    x
}

/// The inverse of A = L Lᵀ.
pub(crate) fn chol_inverse(l: &Mat) -> Mat {
    let p = l.len();
    let mut inv = vec![vec![0.0; p]; p];
    for j in 0..p {
        let mut e = vec![0.0; p];
        e[j] = 1.0;
        let col = chol_solve(l, &e);
        for i in 0..p {
            inv[i][j] = col[i];
        }
    }
    // Symmetrise against rounding.
    for i in 0..p {
        for j in 0..i {
            let m = 0.5 * (inv[i][j] + inv[j][i]);
            inv[i][j] = m;
            inv[j][i] = m;
        }
    }
    inv
}

/// xᵀ A x.
#[cfg(test)]
pub(crate) fn quad_form(a: &Mat, x: &[f64]) -> f64 {
    let mut s = 0.0;
    for i in 0..x.len() {
        for j in 0..x.len() {
            s += x[i] * a[i][j] * x[j];
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn solves_and_inverts_a_known_matrix() {
        let a = vec![
            vec![4.0, 2.0, 0.6],
            vec![2.0, 5.0, 1.0],
            vec![0.6, 1.0, 3.0],
        ];
        let l = cholesky(&a).unwrap();
        let x = chol_solve(&l, &[1.0, 2.0, 3.0]);
        for i in 0..3 {
            let ax: f64 = (0..3).map(|j| a[i][j] * x[j]).sum();
            assert!((ax - [1.0, 2.0, 3.0][i]).abs() < 1e-12);
        }
        let inv = chol_inverse(&l);
        for i in 0..3 {
            for j in 0..3 {
                let e: f64 = (0..3).map(|k| a[i][k] * inv[k][j]).sum();
                assert!((e - if i == j { 1.0 } else { 0.0 }).abs() < 1e-12);
            }
        }
        assert!((quad_form(&a, &[1.0, 0.0, 1.0]) - 8.2).abs() < 1e-12);
    }

    #[test]
    fn dependent_column_is_reported() {
        let a = vec![
            vec![1.0, 2.0, 0.0],
            vec![2.0, 4.0, 0.0],
            vec![0.0, 0.0, 1.0],
        ];
        assert_eq!(cholesky(&a), Err(1));
    }
}
